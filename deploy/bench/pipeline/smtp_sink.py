"""The bench's SMTP sink, in a process of its own (so its CPU is not the load generator's,
and is counted apart as "smtp-sink"): accepts every email and appends one line per email
to `--out`, flushed at once:

    <time.time() when the DATA ended> <tracking code, or -> <recipient> [<recipient>…]

The code (`JB-XXXXX-XXXXX`, in the subject: services/notification/templates.py) is looked
for in the raw bytes; the message is parsed only when it is not there (an encoded subject
and body). A first line `# listening <host>:<port>` says it is serving. Run as a script
(`python smtp_sink.py --port N --out FILE`): it imports nothing of the bench or of jemput.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import time
from email import message_from_bytes
from email import policy as email_policy
from typing import Any, TextIO

from aiosmtpd.smtp import SMTP

CODE = re.compile(rb"JB-[0-9A-Z]{5}-[0-9A-Z]{5}")
CODE_TEXT = re.compile(r"JB-[0-9A-Z]{5}-[0-9A-Z]{5}")


class Sink:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        found = CODE.search(content)
        code = found.group().decode() if found else _code_from_parsed(content)
        rcpts = " ".join(str(r) for r in envelope.rcpt_tos) or "-"
        self.out.write(f"{now:.6f} {code or '-'} {rcpts}\n")
        self.out.flush()
        return "250 OK"


def _code_from_parsed(content: bytes) -> str | None:
    """The code from a decoded subject or body (when the raw bytes are encoded)."""
    try:
        message = message_from_bytes(content, policy=email_policy.default)
        texts = [str(message.get("Subject", ""))]
        body = message.get_body(preferencelist=("plain",))
        if body is not None:
            texts.append(str(body.get_content()))
    except Exception:  # a broken message is still an arrival
        return None
    for text in texts:
        found = CODE_TEXT.search(text)
        if found:
            return found.group()
    return None


async def serve(host: str, port: int, out: TextIO) -> None:
    loop = asyncio.get_running_loop()
    sink = Sink(out)
    # hostname given: SMTP() would otherwise ask socket.getfqdn() on every connection
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="bench-sink", ident="bench-sink"), host, port
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    out.write(f"# listening {host}:{port}\n")
    out.flush()
    async with server:
        await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True, help="file the arrivals are appended to")
    args = parser.parse_args()
    with open(args.out, "a", encoding="utf-8") as out:
        asyncio.run(serve(args.host, args.port, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

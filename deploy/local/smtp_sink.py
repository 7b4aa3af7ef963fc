"""A local SMTP server for `make run`: keeps every email in .local/mail/ so a person can read
it, and beside each `<name>.eml` a `<name>.json` of whom it went to: the envelope's sender
and recipients (RCPT TO: who a real server would deliver to) and the `To` header."""

from __future__ import annotations

import argparse
import json
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def recipients(envelope: Any) -> dict[str, Any]:
    """Whom a message went to: the envelope's sender and recipients, the `To` header's."""
    to = message_from_bytes(envelope.content).get_all("To", [])
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "to": [address for _, address in getaddresses(to)],
    }


class Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6}.eml"
        message = message_from_bytes(envelope.content)
        (self.folder / name).write_bytes(envelope.content)
        (self.folder / name).with_suffix(".json").write_text(json.dumps(recipients(envelope)))
        subject = str(make_header(decode_header(message["Subject"] or "")))
        print(f"smtp-sink: {name}: {subject}", flush=True)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(args.folder), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"smtp-sink: listening on 127.0.0.1:{args.port}, mail in {args.folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":
    main()

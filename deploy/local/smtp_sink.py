"""A local SMTP server for `make run`: keeps every email in .local/mail/ so a person can read it."""

from __future__ import annotations

import argparse
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6}.eml"
        (self.folder / name).write_bytes(envelope.content)
        header = message_from_bytes(envelope.content)["Subject"] or ""
        subject = str(make_header(decode_header(header)))
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

"""An in-process SMTP server (aiosmtpd, in its own thread) that notes when each email arrives.

Every email names its request's tracking code (`JB-XXXXX-XXXXX`, in the subject: see
services/notification/templates.py); the bench also gives each request its own address,
so an email is matched to its request by code, or by recipient if the code is not found.
Times are `time.perf_counter()`, the same clock the load generator uses.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

from aiosmtpd.controller import Controller

from .forms import Forms

CODE = re.compile(rb"JB-[0-9A-Z]{5}-[0-9A-Z]{5}")
CODE_TEXT = re.compile(r"JB-[0-9A-Z]{5}-[0-9A-Z]{5}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `port` (as uvicorn does: SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


class Mailbox:
    """First arrival per tracking code and per request index; counts of the rest."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.by_code: dict[str, float] = {}
        self.by_index: dict[int, float] = {}
        self.received = 0
        self.repeats = 0  # a second email for a code already seen
        self.unmatched = 0  # neither a code nor a bench address
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def arrival(self, code: str | None, index: int) -> float | None:
        with self._lock:
            if code is not None and code in self.by_code:
                return self.by_code[code]
            return self.by_index.get(index)

    def count(self) -> int:
        with self._lock:
            return self.received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.perf_counter()
        content: bytes = envelope.content if isinstance(envelope.content, bytes) else b""
        found = CODE.search(content)
        code = found.group().decode() if found else _code_from_parsed(content)
        indexes = [Forms.index_of_email(str(rcpt)) for rcpt in envelope.rcpt_tos]
        with self._lock:
            self.received += 1
            if code is not None:
                if code in self.by_code:
                    self.repeats += 1
                else:
                    self.by_code[code] = now
            for index in indexes:
                if index is not None:
                    self.by_index.setdefault(index, now)
            if code is None and not any(i is not None for i in indexes):
                self.unmatched += 1
        return "250 OK"


def _code_from_parsed(content: bytes) -> str | None:
    """The code from a decoded subject or body (when the raw bytes are encoded)."""
    message = message_from_bytes(content, policy=email_policy.default)
    texts = [str(message.get("Subject", ""))]
    body = message.get_body(preferencelist=("plain",))
    if body is not None:
        texts.append(str(body.get_content()))
    for text in texts:
        found = CODE_TEXT.search(text)
        if found:
            return found.group()
    return None

"""Ways to reach an applicant. Each send is keyed, so a channel that can deduplicate does."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx


class ChannelError(Exception):
    """The channel did not take the message. `code` is safe to log and store."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    key: str  # the notification id: the same message keeps the same key


class Channel(Protocol):
    name: str
    resend_is_safe: bool  # whether a repeat with the same key is dropped by the channel

    async def send(self, message: Message) -> None: ...


class EmailChannel:
    """Email over SMTP, on connections kept open between messages (a connection per
    message would cost a TCP and SMTP handshake each; one that has gone stale is
    replaced once, before the send counts as failed)."""

    name = "email"
    resend_is_safe = False  # SMTP servers deliver a repeat, whatever its Message-ID

    def __init__(self, host: str, port: int, sender: str, connections: int = 8) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._idle: list[aiosmtplib.SMTP] = []
        self._max_idle = connections

    async def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.key}@jemput>"
        email.set_content(message.text)
        reused = bool(self._idle)
        smtp = self._idle.pop() if reused else None
        try:
            try:
                smtp = smtp or await self._connect()
                await smtp.send_message(email)
            except aiosmtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                smtp = await self._connect()  # the kept connection had gone stale
                await smtp.send_message(email)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                smtp.close()
            raise ChannelError(f"smtp:{type(exc).__name__}") from None
        if len(self._idle) < self._max_idle:
            self._idle.append(smtp)
        else:
            await smtp.quit()

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(hostname=self._host, port=self._port, timeout=10)
        await smtp.connect()
        return smtp

    async def close(self) -> None:
        while self._idle:
            smtp = self._idle.pop()
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


class SmsGateway:
    name = "sms"
    resend_is_safe = True  # the gateway drops a repeated Idempotency-Key

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self._url, self._client = url, client

    async def send(self, message: Message) -> None:
        try:
            response = await self._client.post(
                self._url,
                json={"to": message.to, "text": message.text},
                headers={"Idempotency-Key": message.key},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"sms:{type(exc).__name__}") from None
        if response.status_code >= 300:
            raise ChannelError(f"sms:http_{response.status_code}")

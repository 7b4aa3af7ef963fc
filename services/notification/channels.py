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
    name = "email"
    resend_is_safe = False  # SMTP servers deliver a repeat, whatever its Message-ID

    def __init__(self, host: str, port: int, sender: str) -> None:
        self._host, self._port, self._sender = host, port, sender

    async def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.key}@jemput>"
        email.set_content(message.text)
        try:
            await aiosmtplib.send(email, hostname=self._host, port=self._port, timeout=10)
        except aiosmtplib.SMTPException as exc:
            raise ChannelError(f"smtp:{type(exc).__name__}") from None
        except OSError as exc:
            raise ChannelError(f"smtp:{type(exc).__name__}") from None


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

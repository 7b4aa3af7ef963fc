"""Ways to reach an applicant. Each send is keyed, so a channel that can deduplicate does."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.nonmultipart import MIMENonMultipart
from typing import Protocol, cast
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from shared.domain.requests import one_address

UTF8_QP = Charset("utf-8")
UTF8_QP.header_encoding = UTF8_QP.body_encoding = QP  # readable in a raw message


def mime_bytes(sender: str, to: str, message: Message) -> bytes:
    """The email as sent: plain UTF-8 text, quoted-printable. Built with the compat32 MIME
    classes, four times cheaper than `EmailMessage` (whose header parser was a fifth of
    the notification service's CPU, docs/bench). Every header value is ours or checked:
    `to` by `one_address`, the rest from the templates and the message's key."""
    email = MIMENonMultipart("text", "plain")
    email.set_payload(message.text, UTF8_QP)
    email["From"] = sender
    email["To"] = to
    # In clear when it can be (as readers and filters expect), encoded words when not.
    subject = message.subject
    # (A Header is what compat32 folds as encoded words; typeshed types the value as str.)
    email["Subject"] = subject if subject.isascii() else cast(str, Header(subject, UTF8_QP))
    email["Message-ID"] = f"<{message.key}@jemput>"
    email["Content-Language"] = message.language
    return email.as_bytes()


class ChannelError(Exception):
    """The channel did not take the message. `code` is safe to log and store.

    `unreachable`: the channel could not be reached at all (down, not answering), so
    nothing was taken; the message is not at fault and waits for the channel to return,
    rather than using up its attempts and ending in the dead-letter topic."""

    def __init__(self, code: str, unreachable: bool = False, permanent: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.unreachable = unreachable
        self.permanent = permanent  # no attempt can succeed (a malformed address): final


# What says an SMTP server is not there (refused, gone, silent), rather than refusing a message.
SMTP_UNREACHABLE = (
    OSError,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPConnectTimeoutError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
)


PROBE_SECONDS = 2.0


async def tcp_reachable(host: str, port: int) -> bool:
    """Whether something accepts connections at host:port (sends nothing)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), PROBE_SECONDS)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    key: str  # the notification id: the same message keeps the same key
    language: str = "id"  # the applicant's (BCP 47), for mail readers and screen readers


class Channel(Protocol):
    name: str
    resend_is_safe: bool  # whether a repeat with the same key is dropped by the channel

    async def send(self, message: Message) -> None: ...

    async def reachable(self) -> bool:
        """Whether the channel accepts connections again (a probe that sends nothing)."""
        ...


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
        # One recipient, the address as checked, in the header and the envelope alike: a
        # header parsed back into recipients sent `root,probe@example.id` to two. An
        # address recorded before intake checked it so is checked here again.
        try:
            to = one_address(message.to)
        except ValueError:
            raise ChannelError("email:invalid_address", permanent=True) from None
        email = mime_bytes(self._sender, to, message)
        reused = bool(self._idle)
        smtp = self._idle.pop() if reused else None
        try:
            try:
                smtp = smtp or await self._connect()
                await smtp.sendmail(self._sender, [to], email)
            except aiosmtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                smtp = await self._connect()  # the kept connection had gone stale
                await smtp.sendmail(self._sender, [to], email)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                smtp.close()
            down = isinstance(exc, SMTP_UNREACHABLE)
            raise ChannelError(f"smtp:{type(exc).__name__}", unreachable=down) from None
        if len(self._idle) < self._max_idle:
            self._idle.append(smtp)
        else:
            await smtp.quit()

    async def reachable(self) -> bool:
        if await tcp_reachable(self._host, self._port):
            return True
        while self._idle:  # connections to a server that went away are no use
            self._idle.pop().close()
        return False

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
        except httpx.TransportError as exc:  # not reached, or no answer: the gateway is down
            raise ChannelError(f"sms:{type(exc).__name__}", unreachable=True) from None
        except httpx.HTTPError as exc:
            raise ChannelError(f"sms:{type(exc).__name__}") from None
        if response.status_code >= 300:
            raise ChannelError(f"sms:http_{response.status_code}")

    async def reachable(self) -> bool:
        url = urlsplit(self._url)
        port = url.port or (443 if url.scheme == "https" else 80)
        return await tcp_reachable(url.hostname or "127.0.0.1", port)

"""Consumer plumbing: take message bodies raw, so a poison message reaches our handler
(and the dead-letter topic) instead of failing inside the framework and stalling a partition."""

from __future__ import annotations

from faststream.message import StreamMessage


async def raw_body(message: StreamMessage[object]) -> bytes:
    """A FastStream decoder that hands the handler the undecoded bytes."""
    return message.body

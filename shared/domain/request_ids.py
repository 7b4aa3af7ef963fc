"""Request ids belong to whoever sent them.

A device chooses its own request ids (e.g. `tablet07-20261129-0001`), so they are easy to
guess: were they global, one device could claim another's ids first and have its real
uploads refused. jemput therefore keeps a request under its sender's scope, the caller's
name (`device:tablet-07`, a static key's name, `kafka:<topic>`), as `<scope>:<id sent>`.
The same id from two senders is two requests; answers carry the id as it was sent.

Requests stored before ids were scoped keep their id as sent (no `:`): they still read.
"""

from __future__ import annotations

SEPARATOR = ":"  # never in an id as sent (letters, digits, `-` and `_`)


def scoped(caller: str, sent_id: str) -> str:
    """The request id as jemput stores it: the sender's scope and the id it sent."""
    return f"{caller}{SEPARATOR}{sent_id}"


def as_sent(stored_id: str) -> str:
    """The id as its sender sent it (an id stored before scoping is that already)."""
    return stored_id.rpartition(SEPARATOR)[2]


def is_scoped(stored_id: str) -> bool:
    return SEPARATOR in stored_id

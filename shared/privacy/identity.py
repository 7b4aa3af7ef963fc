"""Pseudonyms: stable ids derived from personal data that reveal nothing without the key.

A stream id or a Kafka key made from a NIK must not be the NIK, nor a bare hash of it
(16-digit NIKs with their known structure are easy to enumerate): it is a keyed HMAC.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """`kind`-prefixed HMAC-SHA256 of `value`, e.g. `applicant-3f9c…` (32 hex digits)."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:32]}"

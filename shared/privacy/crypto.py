"""AES-GCM, twice: data keys wrapped by a key-encryption key (KEK), fields sealed by data keys.

Field nonces are synthetic (an HMAC of the field's place and value under a key derived
from the data key): the same value sealed twice gives the same ciphertext, so an event
sent again is recognised as the same event by the store (idempotent appends compare
payloads), and two different values never share a nonce under one key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PAD_BYTES = 32
NONCE_BYTES = 12
KEY_BYTES = 32
CIPHER_VERSION = 1


class UnreadableError(ValueError):
    """A ciphertext that does not open: wrong key, wrong place, or altered."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def kek_from_secret(kek_id: str, secret: str) -> bytes:
    """A 256-bit key from a configured secret (any length, ≥32 characters in production)."""
    hkdf = HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=b"jemput data kek:" + kek_id.encode())
    return hkdf.derive(secret.encode())


@dataclass(frozen=True)
class Keyring:
    """The KEKs this process holds: the current one wraps, every one unwraps."""

    current: str
    keks: dict[str, bytes]

    def wrap(self, data_key: bytes, binding: str) -> tuple[str, str]:
        """(kek id, wrapped key); `binding` (the key document's id) is authenticated."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keks[self.current]).encrypt(nonce, data_key, binding.encode())
        return self.current, _b64(nonce + sealed)

    def unwrap(self, kek_id: str, wrapped: str, binding: str) -> bytes:
        kek = self.keks.get(kek_id)
        if kek is None:
            raise UnreadableError(f"data key wrapped by KEK {kek_id!r}, which is not configured")
        raw = _unb64(wrapped)
        try:
            return AESGCM(kek).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], binding.encode())
        except InvalidTag:
            raise UnreadableError(f"KEK {kek_id!r} does not open this data key") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


class FieldCipher:
    """Seals and opens values under one data key, each bound to its stream and field."""

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(data_key)
        self._nonce_key = hmac.new(data_key, b"jemput field nonce", hashlib.sha256).digest()

    @staticmethod
    def binding(stream_id: str, path: str) -> bytes:
        return f"{stream_id}\x1f{path}".encode()

    def seal(self, stream_id: str, path: str, value: Any) -> str:
        aad = self.binding(stream_id, path)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        # Padded to a multiple of PAD_BYTES with spaces (JSON ignores them): a ciphertext's
        # length would otherwise tell "single" from "divorced", and a name's length.
        plain += b" " * (-len(plain) % PAD_BYTES)
        nonce = hmac.new(self._nonce_key, aad + b"\x00" + plain, hashlib.sha256).digest()
        nonce = nonce[:NONCE_BYTES]
        return _b64(nonce + self._aead.encrypt(nonce, plain, aad))

    def open(self, stream_id: str, path: str, sealed: str) -> Any:
        raw = _unb64(sealed)
        try:
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self.binding(stream_id, path)
            )
        except InvalidTag:
            raise UnreadableError("ciphertext does not open here") from None
        return json.loads(plain)

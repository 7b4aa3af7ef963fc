"""API-key roles and how keys are held in the settings (as digests), without FastAPI: the
settings read them, the HTTP layer (http.py) checks callers against them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    OFFICER = "officer"  # submits and follows up requests
    VERIFIER = "verifier"  # decides manual reviews
    AUDITOR = "auditor"  # reads histories
    SUPERVISOR = "supervisor"  # reads the campaign dashboard: counts, never an applicant
    SERVICE = "service"  # other systems


class ApiKey(BaseModel):
    role: Role
    sha256: str  # of the key itself: the settings never hold usable keys


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    name: str  # a static key's name, `device:<device id>`, or `kafka:<topic>`
    role: Role


class RevokedKeyError(Exception):
    """The key was valid once and has been revoked (a device's key: services/intake)."""

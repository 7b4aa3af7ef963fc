"""Settings every service shares, read from JEMPUT_* environment variables."""

from __future__ import annotations

import os

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.eventstore.chain import ChainKeys, KeyId
from shared.messaging.fetch import Fetch
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.web.api_keys import ApiKey

DEV_CHAIN_KEY = "dev-only-chain-key-never-in-production"
DEV_PSEUDONYM_KEY = "dev-only-pseudonym-key-never-in-production"
DEV_DATA_KEK = "dev-only-data-kek-never-in-production"
MIN_SECRET_CHARS = 32  # e.g. `openssl rand -hex 32` gives 64


def weak_secret(value: str) -> str | None:
    """Why a secret is too weak for production, or None. By length and variety, not by
    comparison with the development default: one extra character must not pass."""
    if len(value) < MIN_SECRET_CHARS:
        return f"shorter than {MIN_SECRET_CHARS} characters"
    if value.startswith("dev-only"):
        return "a development key"
    if len(set(value)) < 12:
        return "too few distinct characters to be random"
    return None


class InfraSettings(BaseSettings):
    """Where the stack is and how events are sealed. Services subclass this."""

    # JEMPUT_ENV_FILE names a file of JEMPUT_* lines read under the environment's own
    # variables (`make run` keeps the installation's generated keys in .local/keys.env).
    model_config = SettingsConfigDict(
        env_prefix="JEMPUT_", extra="ignore", env_file=os.environ.get("JEMPUT_ENV_FILE")
    )

    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = "jemput"
    # How long to look for the store before an operation fails: short, so that a store
    # that is down is an error (503, a paused consumer) in seconds, not a 30 s hang.
    mongo_select_timeout_ms: int = 2_000
    # A whole operation's limit (pymongo's timeoutMS), for services whose operations are
    # small; None (no limit) where they may be long (the audit service's whole-store scans).
    mongo_timeout_ms: int | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"
    events_topic: str = "jemput.events.v1"
    # Consumer groups are "<prefix>-<service>": installations sharing a Kafka cluster (or
    # tests sharing a broker) keep their offsets apart, and one's members never hold up
    # another's rebalance (a consumer's start waits for its group's assignment).
    kafka_group_prefix: str = "jemput"
    relay_batch_size: int = 500
    # A consumer's fetch waits up to kafka_fetch_max_wait_ms for kafka_fetch_min_bytes
    # (~13 events): one batch then carries several events, whose store reads and writes
    # go out as one command each (docs/bench/speed-2026-12-06.md). Latency: at most this
    # wait per hop, and none once that many bytes are waiting.
    kafka_fetch_min_bytes: int = 16_384
    kafka_fetch_max_wait_ms: int = 50
    publish_appends: bool = True
    # Applicants' streams each process keeps in memory (events never change): enough to
    # cover a request from submit to email under load, small enough for ~150 MB a process.
    cached_streams: int = 1_000
    # Services publish what they append (false: only the relay publishes, which costs it
    # reads per event); the relay sweeps entries older than this
    # (their writer died or Kafka was away), looking every relay_idle_seconds.
    relay_min_age_seconds: float = 2.0
    relay_idle_seconds: float = 0.5

    def fetch(self) -> Fetch:
        return Fetch(self.kafka_fetch_min_bytes, self.kafka_fetch_max_wait_ms)

    def group(self, service: str) -> str:
        """The consumer group of `service` (e.g. "intake") in this installation."""
        return f"{self.kafka_group_prefix}-{service}"

    chain_key_id: KeyId = "dev"
    chain_key: SecretStr = SecretStr(DEV_CHAIN_KEY)
    # Keys that sealed older events, by key id, after a rotation: they verify, never seal.
    chain_old_keys: dict[str, SecretStr] = {}
    # The key-encryption key (KEK) that wraps applicants' data keys, and older KEKs by id
    # after a rotation (they unwrap, never wrap; `jemput-audit rotate-kek` re-wraps).
    data_kek_id: KeyId = "dev"
    data_kek: SecretStr = SecretStr(DEV_DATA_KEK)
    data_old_keks: dict[str, SecretStr] = {}
    retention_policy: str = "jaksel-2027.02"  # the policy new events are sealed under
    production: bool = False

    def keyring(self) -> Keyring:
        kek = self.data_kek.get_secret_value()
        if self.production and (why := weak_secret(kek)) is not None:
            raise ValueError(f"JEMPUT_DATA_KEK is not fit for production: {why}")
        if self.data_kek_id in self.data_old_keks:
            raise ValueError("JEMPUT_DATA_OLD_KEKS must not name the current KEK id")
        keks = {k: v.get_secret_value() for k, v in self.data_old_keks.items()}
        keks[self.data_kek_id] = kek
        return Keyring(self.data_kek_id, {k: kek_from_secret(k, v) for k, v in keks.items()})

    def chain_keys(self) -> ChainKeys:
        key = self.chain_key.get_secret_value()
        if self.production and (why := weak_secret(key)) is not None:
            raise ValueError(f"JEMPUT_CHAIN_KEY is not fit for production: {why}")
        old = {k: v.get_secret_value().encode() for k, v in self.chain_old_keys.items()}
        if self.chain_key_id in old:
            raise ValueError("JEMPUT_CHAIN_OLD_KEYS must not name the current key id")
        return ChainKeys(current=self.chain_key_id, keys={**old, self.chain_key_id: key.encode()})


class ServiceSettings(InfraSettings):
    """What an HTTP service adds: where it listens, who may call it, its pseudonym key."""

    http_host: str = "127.0.0.1"
    http_port: int = 8000  # each service has its own default
    api_keys: dict[str, ApiKey] = {}
    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    # Requests handled at once by this process (health and metrics aside); more are shed
    # at once with 503 and Retry-After, so that overload costs callers a retry, not a hang.
    # 0: no limit.
    max_in_flight_requests: int = 0
    retry_after_seconds: int = 2  # what a 503 (store down, overload) tells callers
    # The store probe (shared/web/store_breaker.py): a ping this often; one that fails or takes
    # longer than the timeout refuses requests (503) until a ping answers. 0: no probe.
    store_probe_seconds: float = 0.25
    store_probe_timeout_seconds: float = 0.5
    # /metrics on a port of its own (e.g. 9100), for Prometheus alone: the cluster's
    # NetworkPolicy lets only Prometheus reach it. None: on the HTTP port (local runs).
    metrics_port: int | None = None

    def pseudonym_bytes(self) -> bytes:
        key = self.pseudonym_key.get_secret_value()
        if self.production and (why := weak_secret(key)) is not None:
            raise ValueError(f"JEMPUT_PSEUDONYM_KEY is not fit for production: {why}")
        return key.encode()

"""Settings every service shares, read from JEMPUT_* environment variables."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.eventstore.chain import ChainKeys
from shared.http import ApiKey

DEV_CHAIN_KEY = "dev-only-chain-key-never-in-production"


class InfraSettings(BaseSettings):
    """Where the stack is and how events are sealed. Services subclass this."""

    model_config = SettingsConfigDict(env_prefix="JEMPUT_", extra="ignore")

    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = "jemput"
    kafka_bootstrap: str = "127.0.0.1:9092"
    events_topic: str = "jemput.events.v1"
    relay_batch_size: int = 500
    publish_appends: bool = True
    # Services publish what they append (false: only the relay publishes, which costs it
    # reads per event); the relay sweeps entries older than this
    # (their writer died or Kafka was away), looking every relay_idle_seconds.
    relay_min_age_seconds: float = 2.0
    relay_idle_seconds: float = 0.5
    chain_key_id: str = "dev"
    chain_key: SecretStr = SecretStr(DEV_CHAIN_KEY)
    production: bool = False

    def chain_keys(self) -> ChainKeys:
        key = self.chain_key.get_secret_value()
        if self.production and key == DEV_CHAIN_KEY:
            raise ValueError("JEMPUT_CHAIN_KEY must be set in production")
        return ChainKeys.single(self.chain_key_id, key)


class ServiceSettings(InfraSettings):
    """What an HTTP service adds: where it listens, who may call it, its pseudonym key."""

    http_host: str = "127.0.0.1"
    http_port: int = 8000  # each service has its own default
    api_keys: dict[str, ApiKey] = {}
    pseudonym_key: SecretStr = SecretStr("dev-only-pseudonym-key-never-in-production")
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"

    def pseudonym_bytes(self) -> bytes:
        key = self.pseudonym_key.get_secret_value()
        if self.production and key.startswith("dev-only"):
            raise ValueError("JEMPUT_PSEUDONYM_KEY must be set in production")
        return key.encode()

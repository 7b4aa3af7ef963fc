import secrets

import pytest

from shared.runtime import mongo_client
from shared.settings import InfraSettings, ServiceSettings


def test_settings_come_from_jemput_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEMPUT_MONGO_DB", "elsewhere")
    monkeypatch.setenv("JEMPUT_CHAIN_KEY", "a-real-secret-of-some-length")
    settings = InfraSettings()
    assert settings.mongo_db == "elsewhere"
    assert settings.chain_keys().seal({"key_id": "dev"}) != InfraSettings(
        chain_key="another-secret-of-some-length"
    ).chain_keys().seal({"key_id": "dev"})


def test_production_refuses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JEMPUT_CHAIN_KEY", raising=False)
    monkeypatch.setenv("JEMPUT_PRODUCTION", "true")
    with pytest.raises(ValueError, match="JEMPUT_CHAIN_KEY"):
        InfraSettings().chain_keys()


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-chain-key-never-in-production",
        "dev-only-chain-key-never-in-production!",  # one extra character
        "a" * 64,
        "short-but-random-7f3a9",
    ],
)
def test_production_refuses_weak_keys(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("JEMPUT_PRODUCTION", "true")
    with pytest.raises(ValueError, match="not fit for production"):
        InfraSettings(chain_key=key).chain_keys()
    with pytest.raises(ValueError, match="not fit for production"):
        ServiceSettings(pseudonym_key=key).pseudonym_bytes()


def test_production_takes_a_random_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEMPUT_PRODUCTION", "true")
    key = secrets.token_hex(32)
    assert InfraSettings(chain_key=key).chain_keys().current == "dev"
    assert ServiceSettings(pseudonym_key=key).pseudonym_bytes() == key.encode()


def test_after_a_rotation_old_events_verify_and_new_ones_use_the_new_key() -> None:
    old = InfraSettings(chain_key_id="2026a", chain_key="o" * 8 + secrets.token_hex(16))
    sealed = {"key_id": "2026a", "payload": {"n": 1}}
    rotated = InfraSettings(
        chain_key_id="2026b",
        chain_key=secrets.token_hex(32),
        chain_old_keys={"2026a": old.chain_key.get_secret_value()},
    ).chain_keys()
    assert rotated.current == "2026b"
    assert rotated.seal(sealed) == old.chain_keys().seal(sealed)


async def test_the_store_client_takes_the_time_limits() -> None:
    """A store that is down fails an operation within `mongo_select_timeout_ms` (2 s),
    not pymongo's default 30 s: what lets intake answer 503 at once (e2e test_outages)."""
    client = mongo_client(InfraSettings(mongo_select_timeout_ms=1234, mongo_timeout_ms=4321))
    try:
        assert client.options.server_selection_timeout == 1.234
        assert client.options.timeout == 4.321
    finally:
        await client.close()

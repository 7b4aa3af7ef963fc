import pytest

from shared.settings import InfraSettings


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

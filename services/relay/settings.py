from shared.settings import ServiceSettings


class RelaySettings(ServiceSettings):
    """The relay's own settings are the relay_* ones every service reads (settings.py);
    it listens only for health and metrics."""

    http_port: int = 8005

"""`python -m services.intake`: the intake service (HTTP and the intake topic)."""

import uvicorn

from services.intake.bootstrap import create_app
from services.intake.settings import IntakeSettings
from shared.runtime import configure_logging

settings = IntakeSettings()
configure_logging(settings.log_level)
uvicorn.run(
    create_app(settings),
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
    access_log=False,
)

"""`python -m services.verification`: decides requests; serves the manual review queue."""

import uvicorn

from services.verification.bootstrap import create_app
from services.verification.settings import VerificationSettings
from shared.runtime import configure_logging

settings = VerificationSettings()
configure_logging(settings.log_level)
uvicorn.run(
    create_app(settings),
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
    access_log=False,
)

"""`python -m services.notification`: emails and texts applicants about their requests."""

import uvicorn

from services.notification.bootstrap import create_app
from services.notification.settings import NotificationSettings
from shared.runtime import configure_logging

settings = NotificationSettings()
configure_logging(settings.log_level)
uvicorn.run(
    create_app(settings),
    host=settings.http_host,
    port=settings.http_port,
    log_config=None,
    access_log=False,
)

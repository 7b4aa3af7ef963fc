"""`python -m services.notification`: emails and texts applicants about their requests."""

from services.notification.bootstrap import create_app
from services.notification.settings import NotificationSettings
from shared.runtime import serve

settings = NotificationSettings()
serve(create_app(settings), settings)

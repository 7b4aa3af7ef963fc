"""`python -m services.intake`: the intake service (HTTP and the intake topic)."""

from services.intake.bootstrap import create_app
from services.intake.settings import IntakeSettings
from shared.runtime import serve

settings = IntakeSettings()
serve(create_app(settings), settings)

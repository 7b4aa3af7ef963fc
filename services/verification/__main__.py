"""`python -m services.verification`: decides requests; serves the manual review queue."""

from services.verification.bootstrap import create_app
from services.verification.settings import VerificationSettings
from shared.runtime import serve

settings = VerificationSettings()
serve(create_app(settings), settings)

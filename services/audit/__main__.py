"""`python -m services.audit`: the audit interface over HTTP (read-only, auditors only)."""

from services.audit.bootstrap import create_app
from services.audit.settings import AuditSettings
from shared.runtime import serve

settings = AuditSettings()
serve(create_app(settings), settings)

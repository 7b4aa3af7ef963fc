"""`python -m services.dashboard`: the supervisors' dashboard (page and data API)."""

from services.dashboard.bootstrap import create_app
from services.dashboard.settings import DashboardSettings
from shared.runtime import serve

settings = DashboardSettings()
serve(create_app(settings), settings)

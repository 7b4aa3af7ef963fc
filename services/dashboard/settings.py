from pathlib import Path

from shared.settings import ServiceSettings

CAMPAIGNS = Path(__file__).parent / "campaigns"


class DashboardSettings(ServiceSettings):
    http_port: int = 8006
    # The campaign shown: a JSON file (name, kinds, targets per kecamatan, start, deadline).
    campaign_file: Path = CAMPAIGNS / "jaksel-2026-year-end.json"
    dead_letter_topic: str = "jemput.dashboard.dlq.v1"

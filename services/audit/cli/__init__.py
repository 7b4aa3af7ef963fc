"""`jemput-audit`: the audit interface on the command line (same code as the HTTP API).

Tables and progress bars on a terminal; JSON lines when piped. Needs the database and the
chain key (JEMPUT_* settings), as an auditor's workstation has them.
"""

from __future__ import annotations

# Each module registers its commands on the one app.
from services.audit.cli import integrity, privacy, reading  # noqa: F401
from services.audit.cli.common import app


def main() -> None:
    app()

"""`python deploy/drill …`: makes deploy/bench's `pipeline` and this folder importable."""

import sys
from pathlib import Path

if not __package__:  # run as a folder: import it as the package `drill`
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path[:0] = [str(here.parent), str(here.parent / "bench")]

from drill.cli import main

raise SystemExit(main())

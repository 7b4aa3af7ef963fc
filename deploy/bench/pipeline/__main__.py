"""`python deploy/bench/pipeline …`, or `python -m pipeline` with deploy/bench on the path."""

import sys
from pathlib import Path

if not __package__:  # run as a folder: make `pipeline` importable as a package instead
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))

from pipeline.cli import main

raise SystemExit(main())

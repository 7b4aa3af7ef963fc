"""The officers' app checks NIKs in JavaScript (services/intake/field_app/nik.js); the
server in Python (shared/domain/nik.py). The same cases go through both, run by node, so
the two cannot drift apart: the same outcome (error code, or birth date, sex, region)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from shared.domain.nik import NikError, parse_nik

NIK_JS = Path(__file__).parents[2] / "services/intake/field_app/nik.js"
TODAY = date(2026, 11, 29)
FIXED = [
    "3174011503900001",  # a man born 15 March 1990
    "3174075508090002",  # a woman (55 = 15 + 40), 2009
    "3174011503900000",  # serial 0000
    "317401150390000",  # 15 digits
    "31740115039000011",  # 17 digits
    "3174O11503900001",  # a letter O
    "3174013102900001",  # 31 February
    "3174012902000001",  # 29 February 2000 (a leap year)
    "3174012902010001",  # 29 February 2001
    "3174016902000001",  # 29 February 2000, a woman
    "3174013011260001",  # 30 November 2026: after today, so 1926
    "3174012911260001",  # 29 November 2026: today
    "3174010000000001",  # day 0, month 0
    "3174014112990001",  # 1 December 1999, a woman
    "3174017112990001",  # day 31 + 40 in December
    "3174017212990001",  # day 32 + 40
    "3174014000000001",  # day 40: no such day
    "",
    "३१७४०११५०३९०००१",  # Devanagari digits: not 0-9
]


def random_niks(count: int) -> list[str]:
    rng = random.Random(17)
    niks = []
    for _ in range(count):
        day = rng.choice([rng.randint(0, 32), rng.randint(40, 72)])
        month, year = rng.randint(0, 13), rng.randint(0, 99)
        serial = rng.choice([0, rng.randint(1, 9999)])
        niks.append(f"317401{day:02d}{month:02d}{year:02d}{serial:04d}")
    return niks


def python_outcome(nik: str) -> dict[str, object]:
    try:
        parsed = parse_nik(nik, TODAY)
    except NikError as error:
        return {"code": error.code}
    return {
        "kecamatan": parsed.kecamatan_code,
        "birthDate": parsed.birth_date.isoformat(),
        "sex": parsed.sex.value,
        "serial": parsed.serial,
    }


def js_outcomes(niks: list[str]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the field app's NIK checks (apt-get install nodejs)")
    today = json.dumps(TODAY.isoformat())
    script = (
        f"import {{ parseNik }} from {json.dumps(NIK_JS.as_uri())};\n"
        "let text = ''; process.stdin.on('data', (c) => { text += c; });\n"
        "process.stdin.on('end', () => { const niks = JSON.parse(text);\n"
        f"  console.log(JSON.stringify(niks.map((n) => parseNik(n, {today})))); }});\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(niks),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    outcomes: list[dict[str, object]] = json.loads(done.stdout)
    return outcomes


def test_the_app_and_the_server_read_every_nik_alike() -> None:
    niks = FIXED + random_niks(2000)
    expected = [python_outcome(nik) for nik in niks]
    assert len({json.dumps(e, sort_keys=True) for e in expected}) > 100, "too few kinds of case"
    assert {e.get("code") for e in expected} >= {None, "nik_format", "nik_serial", "nik_birth_date"}
    for nik, js, py in zip(niks, js_outcomes(niks), expected, strict=True):
        assert js == py, f"case {niks.index(nik)}"

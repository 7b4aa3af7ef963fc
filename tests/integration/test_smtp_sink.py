"""The SMTP sink of `make run` keeps whom each email went to (envelope and `To`), so that a
person or a test can see that a message reached its one recipient and nobody else."""

from __future__ import annotations

import importlib.util
import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType

from aiosmtpd.controller import Controller

from tests.waiting import eventually

SINK = Path(__file__).resolve().parents[2] / "deploy/local/smtp_sink.py"
PORT = 18211  # this test's own port (outside the shared stack's)


def sink_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smtp_sink", SINK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kept(folder: Path) -> list[tuple[Path, Path]]:
    """Each email the sink wrote, with its recipients file (once both are there)."""
    return [
        (e, e.with_suffix(".json")) for e in folder.glob("*.eml") if e.with_suffix(".json").exists()
    ]


async def test_the_sink_keeps_the_envelope_recipients_and_the_to_header(tmp_path: Path) -> None:
    controller = Controller(sink_module().Sink(tmp_path), hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "no-reply@dukcapil.example"
        message["To"] = "siti@example.id"
        message["Subject"] = "Permohonan"
        message.set_content("Yth. Siti Aminah,")
        with smtplib.SMTP("127.0.0.1", PORT) as client:
            client.send_message(message, to_addrs=["siti@example.id", "probe@example.id"])
        await eventually(lambda: bool(kept(tmp_path)), what="the recipients file")
    finally:
        controller.stop()
    [(eml, recipients)] = kept(tmp_path)
    assert recipients.stem == eml.stem
    assert json.loads(recipients.read_text()) == {
        "mail_from": "no-reply@dukcapil.example",
        "rcpt_tos": ["siti@example.id", "probe@example.id"],  # the second shows, as it must
        "to": ["siti@example.id"],
    }

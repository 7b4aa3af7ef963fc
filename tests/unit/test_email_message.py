"""The email as notification sends it (`mime_bytes`): what a mail reader, a filter and the
tests' SMTP sink read back from the raw bytes."""

from __future__ import annotations

from email import message_from_bytes, policy

from services.notification.channels import Message, mime_bytes

CODE = "JB-20261206-ABCDEFGH"
LONG = f"Permohonan Surat Keterangan Domisili Sementara (SKDS) {CODE}: disetujui"


def sent(subject: str, text: str = "Selamat pagi — permohonan Anda disetujui.") -> bytes:
    message = Message("warga@example.id", subject, text, key="n-1", language="id")
    return mime_bytes("jemput@dukcapil.example", "warga@example.id", message)


def test_an_ascii_subject_stays_in_clear_even_when_folded() -> None:
    raw = message_from_bytes(sent(LONG))  # compat32, as the tests' sink reads it
    assert " ".join(str(raw["Subject"]).split()) == LONG
    assert str(raw["Subject"]).rsplit(": ", 1)[1] == "disetujui"
    assert CODE in str(raw["Subject"])


def test_a_subject_beyond_ascii_is_encoded_and_reads_back() -> None:
    subject = f"Permohonan Akta Kelahiran {CODE}: dokumen kurang — mohon lengkapi"
    raw = sent(subject)
    assert b"=?utf-8?q?" in raw
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_the_body_the_headers_and_the_language_read_back() -> None:
    text = "Selamat pagi — permohonan Anda disetujui.\nKode: " + CODE
    parsed = message_from_bytes(sent(LONG, text), policy=policy.default)
    assert parsed.get_content().rstrip("\n") == text
    assert (parsed["To"], parsed["From"]) == ("warga@example.id", "jemput@dukcapil.example")
    assert (parsed["Message-ID"], parsed["Content-Language"]) == ("<n-1@jemput>", "id")
    assert parsed.get_content_type() == "text/plain"
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"  # 7-bit safe on the wire

from shared.privacy.identity import pseudonym

NIK = "3174015708990001"


def test_pseudonym_is_stable_keyed_and_reveals_nothing() -> None:
    one = pseudonym(b"k" * 32, "applicant", NIK)
    assert one == pseudonym(b"k" * 32, "applicant", NIK)
    assert one.startswith("applicant-")
    assert len(one) == len("applicant-") + 32
    assert NIK not in one
    assert NIK[:6] not in one
    assert one != pseudonym(b"j" * 32, "applicant", NIK)
    assert one != pseudonym(b"k" * 32, "child", NIK)

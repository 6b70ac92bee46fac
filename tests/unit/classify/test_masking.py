"""Masking never reveals more than allowed."""

from __future__ import annotations

import re

import pytest

from auditor.classify.masking import mask_email, mask_id, mask_pan, mask_phone, mask_value


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("4111111111111111", "411111******1111"),
        ("4111 1111 1111 1111", "411111******1111"),
        ("378282246310005", "378282*****0005"),
        ("4111111111111111111", "411111*********1111"),
        ("411111******1111", "411111******1111"),
        ("XXXX-XXXX-XXXX-1111", "************1111"),
        ("1111", "**11"),
        ("", "****"),
    ],
)
def test_mask_pan(raw: str, masked: str) -> None:
    assert mask_pan(raw) == masked


@pytest.mark.parametrize(
    "pan", ["4111111111111111", "5555555555554444", "2221000000000009", "378282246310005", "6200000000000005123", "4222222222222"]
)
def test_mask_pan_at_most_first_six_last_four(pan: str) -> None:
    out = mask_pan(pan)
    digits = re.sub(r"\D", "", pan)
    visible = [i for i, c in enumerate(out) if c.isdigit()]
    assert len(out) == len(digits)
    assert all(i < 6 or i >= len(digits) - 4 for i in visible)
    assert len(visible) <= 10
    assert set(out[6:-4]) == {"*"}


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("john@example.com", "j***@e***.com"),
        ("tan.ah.kow@redmart.com.sg", "t***@r***.sg"),
        ("not-an-email", "***"),
    ],
)
def test_mask_email(raw: str, masked: str) -> None:
    assert mask_email(raw) == masked


def test_mask_phone_and_id_keep_last_few() -> None:
    assert mask_phone("+65 9123 4567") == "*******567"
    assert mask_id("S1234567D") == "*****567D"
    assert mask_id("11010519491231002X") == "**************002X"
    assert "1234" not in mask_id("S1234567D")


@pytest.mark.parametrize(
    ("type_", "raw", "secret"),
    [
        ("person_name", "Tan Ah Kow", "Kow"),
        ("postal_address", "Blk 123 Ang Mo Kio Ave 3 #05-123 Singapore 560123", "560123"),
        ("date_of_birth", "1990-01-02", "01-02"),
        ("ip_address", "203.0.113.5", "113"),
        ("password_hash", "5f4dcc3b5aa765d61d8327deb882cf99", "5f4dcc"),
        ("password_hash", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "R9h/"),
        ("unknown-type", "secret value", "secret"),
        ("email", "john@example.com", "example"),
        ("national_id", "S1234567D", "S123"),
    ],
)
def test_mask_value_hides_the_secret_part(type_: str, raw: str, secret: str) -> None:
    assert secret not in mask_value(type_, raw)


def test_mask_value_never_raises_on_odd_input() -> None:
    for type_ in ("email", "payment_card", "phone", "national_id", "person_name", "postal_address", "date_of_birth", "ip_address", "password_hash"):
        for raw in (None, "", " ", "@", "$", "::", "x" * 5000):
            assert isinstance(mask_value(type_, raw), str)

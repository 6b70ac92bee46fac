"""Table-driven valid and invalid values for every validator."""

from __future__ import annotations

import pytest

from auditor.classify import validators as v
from auditor.classify.ids import cn_check_char, nric_check_letter, thai_check_digit, validate_national_id
from auditor.classify.options import DEFAULT_PHONE_REGIONS

phone = v.make_phone(DEFAULT_PHONE_REGIONS)


@pytest.mark.parametrize(
    ("value", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4111 1111 1111 1111", "visa"),
        ("4111-1111-1111-1111", "visa"),
        ("4012888888881881", "visa"),
        ("4222222222222", "visa"),  # 13-digit Visa
        ("5555555555554444", "mastercard"),
        ("5105105105105100", "mastercard"),
        ("2221000000000009", "mastercard"),  # 2-series Mastercard
        ("2720992720992729", "mastercard"),  # the top of the 2-series range
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("30569309025904", "diners"),
        ("6200000000000005", "unionpay"),
    ],
)
def test_payment_card_valid(value: str, brand: str) -> None:
    assert v.payment_card(value) == brand


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",  # Luhn fails
        "1234567812345678",  # order number: no scheme starts with 1, and Luhn fails
        "9999999999999995",  # Luhn passes, no IIN
        "411111111111111",  # 15-digit Visa does not exist
        "5555555555554",  # Mastercard must be 16
        "4111 1111 1111 111",
        "4111_1111_1111_1111",
        "41111111111111111111",  # 20 digits
        "",
    ],
)
def test_payment_card_invalid(value: str) -> None:
    assert v.payment_card(value) is None


@pytest.mark.parametrize(
    ("value", "hinted", "tag"),
    [
        ("411111******1111", False, "masked/10"),
        ("4111 11** **** 1111", False, "masked/10"),
        ("************1111", False, "masked/4"),
        ("XXXX-XXXX-XXXX-1111", False, "masked/4"),
        ("####-####-####-4444", False, "masked/4"),
        ("411111...1111", False, "truncated/10"),
        ("1111", True, "last4/4"),
        ("**** 1111", False, None),  # too short to be a PAN, and no card context
        ("1111", False, None),
        ("411111******1234567", False, None),
        ("123456******1111", False, None),  # no scheme starts with 1
        ("4111111111111111", False, None),  # a full PAN is not partial
    ],
)
def test_payment_card_partial(value: str, hinted: bool, tag: str | None) -> None:
    """The tag is the form and the digits left in clear (PCI DSS allows first six + last four)."""
    assert v.payment_card_partial(value, hinted) == tag


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("S1234567D", "sg_nric"),
        ("S0000001I", "sg_nric"),
        ("T0123456G", "sg_nric"),
        ("F1234567N", "sg_fin"),
        ("G1234567X", "sg_fin"),
        ("M1234567K", "sg_fin"),  # FormSG's M-series vector
        ("M1234567N", "sg_m_unknown"),  # right shape, M check letter, checksum not confirmed
        ("11010519491231002X", "cn_resident_id"),
        ("11010519491231002x", "cn_resident_id"),
        ("3100600445635", "th_id"),
        ("1101700230708", "th_id"),
        ("1-1017-00230-70-8", "th_id"),
        ("900101-14-5678", "my_nric"),
        ("900101145678", "my_nric"),
        ("3171014507900001", "id_nik"),  # woman: day 05 + 40
        ("3171010507900001", "id_nik"),
    ],
)
def test_national_id_valid(value: str, tag: str) -> None:
    assert validate_national_id(value) == tag


@pytest.mark.parametrize(
    "value",
    [
        "S1234567A",  # wrong check letter (SKU-shaped)
        "T1234567D",
        "X1234567D",
        "F1234567A",
        "M1234567A",  # A is no M-series check letter at all
        "110105194912310021",  # wrong check character
        "110105194913310021",  # month 13 (its check character is right: 1)
        "99010519491231002X",  # no such province
        "3100600445636",  # Thai check digit off
        "9100600445635",  # Thai ids do not start with 9
        "901301-14-5678",  # month 13
        "900101-17-5678",  # place code 17 unused
        "900101-14-0000",
        "9971014507900001",  # province 99
        "3171013207900001",  # day 32
        "1234567812345678",
        "550e8400-e29b-41d4-a716-446655440000",
        "",
    ],
)
def test_national_id_invalid(value: str) -> None:
    assert validate_national_id(value) is None


def test_checksum_helpers() -> None:
    assert nric_check_letter("S", "1234567") == "D"
    assert cn_check_char("11010519491231002") == "X"
    assert thai_check_digit("310060044563") == 5


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("john.doe@example.com", True),
        ("a@b.co", True),
        ("tan_ah_kow+shop@redmart.com.sg", True),
        ("user@mail.co.th", True),
        ("mailto:jane@example.org", True),
        ("jane@example.invalidtld", False),
        ("jane@localhost", False),
        ("jane@@example.com", False),
        ("jane.example.com", False),
        ("jane@exa..mple.com", False),
        ("git@github.com:org/repo.git", False),
    ],
)
def test_email(value: str, ok: bool) -> None:
    assert (v.email(value) is not None) is ok


@pytest.mark.parametrize(
    ("value", "hinted", "region"),
    [
        ("+65 9123 4567", False, "SG"),
        ("+6591234567", False, "SG"),
        ("91234567", True, "SG"),
        ("+60 12-345 6789", False, "MY"),
        ("012-345 6789", False, "MY"),
        ("+62 812-3456-7890", False, "ID"),
        ("0812-3456-7890", False, "ID"),
        ("+66 81 234 5678", False, "TH"),
        ("+63 917 123 4567", False, "PH"),
        ("+84 91 234 56 78", False, "VN"),
        ("13812345678", False, "CN"),
        ("+86 138 1234 5678", False, "CN"),
        ("+852 5123 4567", False, "HK"),
        ("+886 912 345 678", False, "TW"),
        ("0912 345 678", False, "TH"),  # ambiguous national form (TH, VN, TW): first region in list order wins
        ("6591234567", False, "SG"),
    ],
)
def test_phone_valid(value: str, hinted: bool, region: str) -> None:
    assert phone(value, hinted) == region


@pytest.mark.parametrize(
    ("value", "hinted"),
    [
        ("91234567", False),  # 8 bare digits: a phone only where the name says so
        ("12345678", True),
        ("2023-11-05", True),
        ("1700000000", False),  # epoch seconds
        ("1234567812345678", True),
        ("19.99", True),
        ("+65 1234", False),
        ("0000000000", True),
    ],
)
def test_phone_invalid(value: str, hinted: bool) -> None:
    assert phone(value, hinted) is None


@pytest.mark.parametrize(
    ("value", "hinted", "tag"),
    [
        ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", False, "bcrypt"),
        ("$2y$10$abcdefghijklmnopqrstuuE4bXUYgkxlV2ZLvY8l7JeUBRpU0Kk9e", False, "bcrypt"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", False, "argon2"),
        ("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", False, "scrypt"),
        ("pbkdf2_sha256$260000$abc123salt$Rv4bXq0a3xWkJ9R+6yF4l0mXy1w8JfC2Xq0a3xWkJ9R=", False, "pbkdf2"),
        ("md5$salt$5f4dcc3b5aa765d61d8327deb882cf99", False, "django-salted-fast!weak"),
        ("5f4dcc3b5aa765d61d8327deb882cf99", True, "md5!weak"),
        ("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", True, "sha1!weak"),
        ("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", True, "sha256!weak"),
        ("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", False, None),  # git SHA without password context
        ("5f4dcc3b5aa765d61d8327deb882cf99", False, None),
        ("hunter2", True, None),
        ("550e8400e29b41d4a716446655440000", False, None),
        ("00000000000000000000000000000000", True, None),
    ],
)
def test_password_hash(value: str, hinted: bool, tag: str | None) -> None:
    assert v.password_hash(value, hinted) == tag


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("203.0.113.5", "ipv4"),
        ("10.0.0.1", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("fe80::1ff:fe23:4567:890a", "ipv6"),
        ("256.1.1.1", None),
        ("1.2.3", None),
        ("12:30:45", None),
        ("0.0.0.0", None),
        ("::", None),
        ("deadbeef", None),
    ],
)
def test_ip_address(value: str, tag: str | None) -> None:
    assert v.ip_address(value) == tag


@pytest.mark.parametrize(
    ("value", "hinted", "ok"),
    [
        ("1990-01-02", True, True),
        ("02/01/1990", True, True),
        ("19900102", True, True),
        ("2 Jan 1990", True, True),
        ("1990年1月2日", True, True),
        ("1990-01-02", False, False),  # context-led: no hint, no birth date
        ("2999-01-01", True, False),
        ("1850-01-01", True, False),
        ("1990-13-02", True, False),
        ("hello", True, False),
    ],
)
def test_date_of_birth(value: str, hinted: bool, ok: bool) -> None:
    assert (v.date_of_birth(value, hinted) is not None) is ok


@pytest.mark.parametrize(
    ("value", "hinted", "ok"),
    [
        ("Tan Ah Kow", True, True),
        ("李小龙", True, True),
        ("Nguyễn Văn An", True, True),
        ("สมชาย ใจดี", True, True),
        ("Mary-Jane O'Neil", True, True),
        ("Tan Ah Kow", False, False),
        ("iPhone 13 128GB", True, False),
        ("a", True, False),
    ],
)
def test_person_name(value: str, hinted: bool, ok: bool) -> None:
    assert (v.person_name(value, hinted) is not None) is ok


@pytest.mark.parametrize(
    ("value", "hinted", "ok"),
    [
        ("Blk 123 Ang Mo Kio Ave 3 #05-123 Singapore 560123", False, True),
        ("10 Anson Road, #10-01 International Plaza", False, True),
        ("Jl. Sudirman No. 5, Jakarta 10220", False, True),
        ("12 Jalan Ampang, 50450 Kuala Lumpur", False, True),
        ("河北省石家庄市长安区中山路123号", False, True),
        ("56/12 ถนนสุขุมวิท แขวงคลองเตย", False, True),
        ("238801", True, True),  # a postal code under an address name
        ("238801", False, False),
        ("Fresh milk 1L", False, False),
        ("Hello there, how are you", False, False),
    ],
)
def test_postal_address(value: str, hinted: bool, ok: bool) -> None:
    assert (v.postal_address(value, hinted) is not None) is ok


def test_dotted_quads_are_decided_as_ipaddress_decides_them():
    """The dotted-quad fast path (no ``ipaddress`` call) agrees with ``ipaddress`` on octets
    with leading zeros, out of range, zero and the unspecified address."""
    import ipaddress
    import itertools

    octets = ["0", "00", "001", "1", "01", "9", "10", "99", "100", "199", "249", "250", "255", "256", "300", "999"]
    for quad in itertools.product(octets, repeat=4):
        value = ".".join(quad)
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            ip = None
        for hinted in (False, True):
            expected = None if ip is None or ip.is_unspecified or (not hinted and value.startswith("0")) else "ipv4"
            assert v.ip_address(value, hinted) == expected, (value, hinted)


def test_a_card_written_in_other_scripts_digits_is_not_a_card_and_does_not_raise() -> None:
    # validators never raise (one value must not end its column's classification): digits of other
    # scripts (Arabic-Indic, full-width) match a Unicode \d but are no card the text path would extract
    from auditor.classify.validators import payment_card

    arabic = "5555 5555 5555 4444".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    full_width = "5555-5555-5555-4444".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert payment_card(arabic) is None
    assert payment_card(full_width) is None
    assert payment_card("5555 5555 5555 4444") == "mastercard"

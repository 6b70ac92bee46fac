"""Free text: prefilter + validation, context rules for weak validators, budgets."""

from __future__ import annotations

import pytest

from auditor.classify import TEXT_WHERE, ClassifyOptions, classify
from auditor.classify.text import chunks_of
from auditor.models import Sample


def found(text: str, options: ClassifyOptions | None = None) -> dict[str, int]:
    return {p.type: p.count for p in classify(Sample(text=[text]), options)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order confirmed, mail jane@example.com", {"email": 1}),
        ("card 4111 1111 1111 1111 exp 12/29", {"payment_card": 1}),
        ("ref 4111 1111 1111 1112", {}),  # Luhn fails
        ("paid with 411111******1111", {"payment_card_partial": 1}),
        ("NRIC S1234567D on file", {"national_id": 1}),
        ("SKU S1234567A restocked", {}),
        ("身份证 11010519491231002X", {"national_id": 1}),
        ("NIK: 3171014507900001", {"national_id": 1}),
        ("batch 3171014507900001 shipped", {}),  # NIK without context: no checksum, not counted
        ("order 900101145678", {}),  # MyKad-shaped without context
        ("IC: 900101-14-5678", {"national_id": 1}),
        ("call +65 9123 4567 now", {"phone": 1}),
        ("tel: 9123 4567", {"phone": 1}),
        ("qty 91234567", {}),  # bare 8 digits without a phone word
        ("password=5f4dcc3b5aa765d61d8327deb882cf99", {"password_hash": 1}),
        ("commit 5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8 merged", {}),
        ("user x $2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", {"password_hash": 1}),
        ("login from 203.0.113.5 at 12:30:45", {"ip_address": 1}),
        ("DOB: 1990-01-02", {"date_of_birth": 1}),
        ("shipped 2024-01-02", {}),
        ("deliver to Blk 123 Ang Mo Kio Ave 3 #05-123 Singapore 560123", {"postal_address": 1}),
        ("build 2024-01-02T10:00:00Z took 12.5s, id 550e8400-e29b-41d4-a716-446655440000", {}),
    ],
)
def test_text_cases(text: str, expected: dict[str, int]) -> None:
    assert found(text) == expected


def test_text_where_and_masking() -> None:
    (pd,) = classify(Sample(text=["mail jane.doe@example.com please"]))
    assert pd.where == (TEXT_WHERE,)
    assert pd.examples == ("j***@e***.com",)


def test_budget_caps_and_flags() -> None:
    text = "\n".join(f"u{i}@example.com" for i in range(300))
    (pd,) = classify(Sample(text=[text]), ClassifyOptions(max_text_values=50))
    assert pd.count == 50 and pd.detail == {"capped": True}


def test_chunks_cut_at_line_ends_and_keep_everything() -> None:
    text = "\n".join(f"line {i} user{i}@example.com" for i in range(5000))
    chunks = list(chunks_of([text], 4096))
    assert b"".join(chunks) == text.encode()
    assert all(c.endswith(b"\n") for c in chunks[:-1])
    (pd,) = classify(Sample(text=[text]), ClassifyOptions(text_chunk_bytes=4096, max_text_values=10_000))
    assert pd.count == 5000


def test_context_windows_read_as_the_decoded_search_reads_them():
    """An ASCII window is searched as bytes (no decoding): every context pattern of the built-in
    types gives the answer it gives on the decoded window, ASCII or not, at every offset."""
    import random
    import re

    from auditor.classify import text as T
    from auditor.classify.types import BUILTIN

    patterns = [(T._PHONE_WORDS, T._PHONE_PIECES), (T._PHONE_WORDS, ()), (T._NOT_PHONE_WORDS, ())]
    patterns += [(re.compile(s.text_context), pieces) for s in BUILTIN if s.text_context
                 for pieces in {(), s.text_context_pieces}]
    patterns += [(re.compile(s.text_veto), pieces) for s in BUILTIN if s.text_veto for pieces in {(), s.text_veto_pieces}]
    words = ["phone", "Tel", "tel.", "HP:", "call", "WhatsApp", "Mobile", "contact", "xtel", "telx", "php", "FAX", "电话", "sđt", "SĐT", "nric", "IC no", "id#", "ktp",
             "password=", "Hash:", "PASSWD", "pwd", "pass", "version ", "v", "V.", "fw-", "build", "Release",
             "firmware", "rev", "ver", "serv", "card", "cc", "pan", "DOB", "born", "birth", "ORDER", "ref", "#", "=", "ms", "身份证", "hotel",
             "x", "9", " ", "\n", "-", ":", "é", "ı", "İ", "Đ", "NIK", "fin", "MyKad", "identity", "citizen", "HKID",
             "rrn", "Aadhaar", "aadhar", "PSN", "PhilSys", "SSS", "umid", "CCCD", "my number", "MyNumber", "paid",
             "kid", "FINAL", "nickel", "cid"]
    r = random.Random(7)
    for _ in range(60):
        chunk = "".join(r.choice(words) + r.choice(["", " ", "  ", ": "]) for _ in range(30)).encode()
        for start in range(0, len(chunk), 3):
            for rx, pieces in patterns:
                for window in (16, 40):
                    expected = rx.search(T._before(chunk, start, window)) is not None
                    got = T._found_before(rx, chunk, start, window, pieces)
                    assert got is expected, (rx.pattern, chunk[:start][-window:])


def test_every_ascii_phone_word_holds_one_of_the_pieces_the_window_check_looks_for():
    from auditor.classify import text as T

    words = T._PHONE_WORDS.pattern.removeprefix("(?i)").replace("\\b", "").split("|")
    for word in words:
        if word.isascii():
            assert any(piece.decode() in word.lower() for piece in T._PHONE_PIECES), word


def test_every_ascii_national_id_keyword_holds_one_of_the_pieces_the_window_check_looks_for():
    from auditor.classify.types import BY_NAME

    spec = BY_NAME["national_id"]
    assert spec.text_context is not None and spec.text_context_pieces
    words = spec.text_context.removeprefix("(?i)").replace("\\b(?:", "").replace(")\\b", "").split("|")
    assert len(words) > 15
    for word in words:
        if word.isascii():
            for written in {word.replace(" ?", " "), word.replace(" ?", "")}:
                assert any(piece.decode() in written.lower() for piece in spec.text_context_pieces), word

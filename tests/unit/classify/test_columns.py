"""Column decision: sampled rows in, the right types per column out; decoys stay clean."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from auditor.classify import ClassifyError, ClassifyOptions, classify
from auditor.classify.ids import nric_check_letter
from auditor.models import Sample

CARDS = ["4111111111111111", "5555555555554444", "2221000000000009", "378282246310005", "6011111111111117",
         "4012888888881881", "5105105105105100", "3530111333300000"]


def types_by_field(sample: Sample, options: ClassifyOptions | None = None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pd in classify(sample, options):
        for where in pd.where:
            out.setdefault(where, set()).add(pd.type)
    return out


def _nrics(n: int) -> list[str]:
    out = []
    for i in range(n):
        digits = f"{(1234567 + i * 7919) % 10_000_000:07d}"
        prefix = "ST"[i % 2]
        out.append(prefix + digits + nric_check_letter(prefix, digits))
    return out


def _wrong_letter(nric: str) -> str:
    letters = "ABCDEFGHIZJ"
    return nric[:8] + next(c for c in letters if c != nric[8])


def _non_luhn_orders(n: int) -> list[str]:
    from auditor.classify.validators import luhn_ok

    out, k = [], 0
    while len(out) < n:
        candidate = f"4{(73_000_000_000_000 + k * 104_729) % 10**15:015d}"
        k += 1
        if not luhn_ok(candidate):
            out.append(candidate)
    return out


def test_whole_record_types_per_column() -> None:
    rows = 40
    sample = Sample(
        fields={
            "customer_id": list(range(1, rows + 1)),
            "email": [f"user{i}@example.com" for i in range(rows)],
            "mobile": [f"9{i:03d} {4567 + i:04d}"[:9] if i % 2 else f"+65 8{i:03d} {1000 + i}" for i in range(rows)],
            "full_name": ["Tan Ah Kow", "李小龙", "Siti Nurhaliza", "Nguyễn Văn An"] * (rows // 4),
            "shipping_address": ["Blk 123 Ang Mo Kio Ave 3 #05-123 Singapore 560123"] * rows,
            "dob": [dt.date(1980 + i % 20, 1 + i % 12, 1 + i % 28) for i in range(rows)],
            "nric": _nrics(rows),
            "card.number": [CARDS[i % len(CARDS)] for i in range(rows)],
            "card.last4": [CARDS[i % len(CARDS)][-4:] for i in range(rows)],
            "password": ["5f4dcc3b5aa765d61d8327deb882cf99"] * rows,
            "last_login_ip": [f"203.0.113.{i}" for i in range(rows)],
            "created_at": [dt.datetime(2019, 1, 1) + dt.timedelta(hours=i) for i in range(rows)],
            "total_price": [19.99 + i for i in range(rows)],
        }
    )
    got = types_by_field(sample)
    assert got == {
        "email": {"email"},
        "mobile": {"phone"},
        "full_name": {"person_name"},
        "shipping_address": {"postal_address"},
        "dob": {"date_of_birth"},
        "nric": {"national_id"},
        "card.number": {"payment_card"},
        "card.last4": {"payment_card_partial"},
        "password": {"password_hash"},
        "last_login_ip": {"ip_address"},
    }
    by_type = {pd.type: pd for pd in classify(sample)}
    assert by_type["email"].count == rows
    assert by_type["password_hash"].detail == {"weak": True, "algorithms": ["md5"]}
    assert by_type["national_id"].detail["full_nric"] is True
    assert by_type["payment_card"].examples and all("******" in e or "*****" in e for e in by_type["payment_card"].examples)
    assert all(0.0 < pd.confidence <= 1.0 for pd in by_type.values())
    assert all(len(pd.examples) <= 3 for pd in by_type.values())


def test_decoys_stay_clean() -> None:
    n = 50
    sample = Sample(
        fields={
            "order_no": _non_luhn_orders(n),
            "sku": [_wrong_letter(x) for x in _nrics(n)],
            "request_id": [str(uuid.UUID(int=i * 7919 + 12345)) for i in range(n)],
            "build_sha": [f"{i:040x}"[:8] + "da39a3ee5e6b4b0d3255bfef95601890" for i in range(n)],
            "updated_at": [f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z" for i in range(n)],
            "epoch": [1_700_000_000 + i * 3600 for i in range(n)],
            "price": [f"{9.99 + i:.2f}" for i in range(n)],
            "amount_cents": [199900 + i for i in range(n)],
            "product_name": ["Fresh Milk", "Jasmine Rice", "Kopi O"] * (n // 3) + ["Tea"] * (n % 3),
            "tracking_no": [f"SG{10_000_000 + i}" for i in range(n)],
            "version": [f"1.{i % 10}.{i % 7}" for i in range(n)],
        }
    )
    assert classify(sample) == ()


def test_threshold_and_hint() -> None:
    # a few cards among many order numbers: below threshold, no name hint -> clean
    mixed = _non_luhn_orders(45) + CARDS[:5]
    assert classify(Sample(fields={"ref": mixed})) == ()
    # the same values under a strong card name, 40% validating -> payment_card
    hinted = _non_luhn_orders(6) + CARDS[:4]
    got = classify(Sample(fields={"card_number": hinted}))
    assert [(p.type, p.count) for p in got] == [("payment_card", 4)]
    # a stricter threshold turns the unhinted all-valid column off
    assert classify(Sample(fields={"ref": CARDS}), ClassifyOptions(threshold=1.0)) != ()


def test_mixed_contact_column() -> None:
    values = [f"user{i}@example.com" for i in range(10)] + [f"+65 9{i:03d} 4567" for i in range(10)]
    got = {p.type for p in classify(Sample(fields={"contact": values}))}
    assert got == {"email", "phone"}


def test_m_series_unknown_checksum_counted_with_context() -> None:
    sample = Sample(fields={"nric": ["M1234567N", "M1234567K", "S1234567D"]})
    (pd,) = classify(sample)
    assert pd.type == "national_id" and pd.count == 3
    assert pd.detail["checksum_unknown"] == 1
    # without context, M-series with unconfirmed checksums are no ids
    assert classify(Sample(fields={"code": ["M1234567N", "M7654321P", "M1111111N"]})) == ()


def test_json_key_paths_and_nested_values() -> None:
    sample = Sample(fields={"customer.contact.email": ["a@example.com"], "items[].card": [CARDS[0]], "meta": [{"k": 1}]})
    got = types_by_field(sample)
    assert got == {"customer.contact.email": {"email"}, "items[].card": {"payment_card"}}


def test_bytes_and_raw_hash_bytes() -> None:
    import hashlib

    raw = [hashlib.md5(f"pw{i}".encode()).digest() for i in range(5)]
    (pd,) = classify(Sample(fields={"password_hash": raw}))
    assert pd.type == "password_hash" and pd.detail["weak"] is True
    assert classify(Sample(fields={"blob": raw})) == ()


def test_prose_field_scanned_like_text() -> None:
    comments = [f"Please call me at +65 9123 45{i:02d} or mail buyer{i}@example.com, thanks a lot" for i in range(10)]
    got = types_by_field(Sample(fields={"comment": comments}))
    assert got == {"comment": {"phone", "email"}}


def test_types_option_limits_output() -> None:
    sample = Sample(fields={"email": ["a@example.com"], "card": [CARDS[0]]})
    assert [p.type for p in classify(sample, ClassifyOptions(types=("email",)))] == ["email"]


def test_max_values_per_field_bounds_the_count() -> None:
    got = classify(Sample(fields={"email": [f"u{i}@example.com" for i in range(500)]}), ClassifyOptions(max_values_per_field=100))
    assert got[0].count == 100


def test_options_validation() -> None:
    with pytest.raises(ValueError):
        ClassifyOptions(phone_regions=("XX",))
    with pytest.raises(ValueError):
        ClassifyOptions(types=("shoe_size",))
    assert ClassifyOptions(phone_regions=["sg", "my"]).phone_regions == ("SG", "MY")


def test_errors_never_carry_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.classify import columns

    def boom(value: str, hinted: bool = False) -> None:
        raise ValueError(f"bad value {value}")

    monkeypatch.setattr(columns.v, "email", boom)
    with pytest.raises(ClassifyError) as info:
        classify(Sample(fields={"email": ["secret.person@example.com"]}))
    assert "secret.person" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_outputs_never_carry_raw_values() -> None:
    raw = ["tan.ah.kow@example.com", "4111111111111111", "S1234567D", "+65 9123 4567", "11010519491231002X"]
    sample = Sample(fields={"email": raw[:1], "card_no": raw[1:2], "nric": raw[2:3], "phone": raw[3:4], "id_card": raw[4:]},
                    text=[" ".join(raw)])
    dumped = repr([p.model_dump() for p in classify(sample)])
    for value in raw:
        assert value not in dumped
    assert "123456" not in dumped and "tan.ah" not in dumped

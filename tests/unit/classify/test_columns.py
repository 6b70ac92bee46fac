"""Column decision: sampled rows in, the right types per column out; decoys stay clean."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from auditor.classify import ClassifyError, ClassifyOptions, classify
from auditor.models import Sample

CARDS = ["4111111111111111", "5555555555554444", "2221000000000009", "378282246310005", "6011111111111117",
         "4012888888881881", "5105105105105100", "3530111333300000"]


def types_by_field(sample: Sample, options: ClassifyOptions | None = None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pd in classify(sample, options):
        for where in pd.where:
            out.setdefault(where, set()).add(pd.type)
    return out


# Singapore NRICs with the right check letter (weights 2,7,6,5,4,3,2; T adds 4; JZIHGFEDCBA)
VALID_NRICS = [
    "S1234567D", "T1242486D", "S1250405E", "T1258324E", "S1266243B", "T1274162B", "S1282081Z", "T1290000C",
    "S1297919C", "T1305838A", "S1313757I", "T1321676I", "S1329595F", "T1337514Z", "S1345433G", "T1353352G",
    "S1361271D", "T1369190D", "S1377109Z", "T1385028Z", "S1392947E", "T1400866C", "S1408785J", "T1416704D",
    "S1424623A", "T1432542A", "S1440461I", "T1448380I", "S1456299J", "T1464218D", "S1472137A", "T1480056A",
    "S1487975G", "T1495894G", "S1503813F", "T1511732F", "S1519651C", "T1527570C", "S1535489E", "T1543408I",
]

# Decoys written out (checked by hand against the Luhn and NRIC checksums, not by the code under
# test): 16-digit order numbers starting with 4 that fail Luhn, and NRIC-shaped SKUs whose check
# letter is wrong.
NON_LUHN_ORDERS = [
    "4073000000000000", "4073000000104729", "4073000000209458", "4073000000314187", "4073000000418916", "4073000000523645",
    "4073000000733103", "4073000000837832", "4073000000942561", "4073000001047290", "4073000001152019", "4073000001256748",
    "4073000001361477", "4073000001466206", "4073000001570935", "4073000001675664", "4073000001780393", "4073000001989851",
    "4073000002094580", "4073000002304038", "4073000002513496", "4073000002722954", "4073000002827683", "4073000002932412",
    "4073000003037141", "4073000003246599", "4073000003351328", "4073000003456057", "4073000003560786", "4073000003665515",
    "4073000003770244", "4073000003874973", "4073000003979702", "4073000004084431", "4073000004189160", "4073000004293889",
    "4073000004398618", "4073000004503347", "4073000004608076", "4073000004712805", "4073000004817534", "4073000004922263",
    "4073000005026992", "4073000005236450", "4073000005341179", "4073000005445908", "4073000005550637", "4073000005655366",
    "4073000005760095", "4073000005864824",
]
WRONG_LETTER_NRICS = [
    "S1234567A", "T1242486A", "S1250405A", "T1258324A", "S1266243A", "T1274162A", "S1282081A", "T1290000A",
    "S1297919A", "T1305838B", "S1313757A", "T1321676A", "S1329595A", "T1337514A", "S1345433A", "T1353352A",
    "S1361271A", "T1369190A", "S1377109A", "T1385028A", "S1392947A", "T1400866A", "S1408785A", "T1416704A",
    "S1424623B", "T1432542B", "S1440461A", "T1448380A", "S1456299A", "T1464218A", "S1472137B", "T1480056B",
    "S1487975A", "T1495894A", "S1503813A", "T1511732A", "S1519651A", "T1527570A", "S1535489A", "T1543408A",
    "S1551327A", "T1559246A", "S1567165A", "T1575084A", "S1583003A", "T1590922A", "S1598841A", "T1606760A",
    "S1614679A", "T1622598A",
]


def test_the_decoys_are_what_they_claim():
    from auditor.classify.validators import luhn_ok, national_id

    assert len(NON_LUHN_ORDERS) == len(WRONG_LETTER_NRICS) == 50
    assert not any(luhn_ok(x) for x in NON_LUHN_ORDERS)
    assert not any(national_id(x) for x in WRONG_LETTER_NRICS)
    assert all(luhn_ok(c) for c in CARDS)
    assert all(national_id(x) for x in VALID_NRICS)


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
            "nric": VALID_NRICS[:rows],
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
            "order_no": NON_LUHN_ORDERS[:n],
            "sku": WRONG_LETTER_NRICS[:n],
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
    mixed = NON_LUHN_ORDERS[:45] + CARDS[:5]
    assert classify(Sample(fields={"ref": mixed})) == ()
    # the same values under a strong card name, 40% validating -> payment_card
    hinted = NON_LUHN_ORDERS[:6] + CARDS[:4]
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

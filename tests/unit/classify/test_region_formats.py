"""Negative evidence from names, per-column confidence, region formats in free text, card
brands, names with context, phones in log lines, the phone fast path, and the type registry."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from auditor.classify import classify
from auditor.classify import validators as v
from auditor.classify.hints import field_hints, field_vetoes
from auditor.classify.options import DEFAULT_PHONE_REGIONS
from auditor.classify.types import BUILTIN, BY_NAME
from auditor.models import PERSONAL_DATA_TYPES, Sample


def types_of(sample: Sample) -> dict[str, int]:
    return {p.type: p.count for p in classify(sample)}


# ---------------------------------------------------------------- D: names that veto a type


def test_app_version_column_is_not_ip_addresses() -> None:
    versions = [f"{a}.{b}.{c}.{d}" for a, b, c, d in zip(range(1, 9), range(10, 30), range(0, 9), range(100, 250))] * 5
    assert all(v.ip_address(x) for x in versions)  # each value alone reads as an IPv4 address
    for name in ("app_version", "build", "os_version", "firmware", "release"):
        assert types_of(Sample(fields={name: versions})) == {}, name
    assert types_of(Sample(fields={"client_ip": versions})) == {"ip_address": len(versions)}  # a hint wins


@pytest.mark.parametrize("name", ["order_id", "sku_code", "invoice_no", "tracking_no", "barcode"])
def test_codes_and_ids_are_not_phones_or_cards(name: str) -> None:
    phones = ["91234567", "81234567", "98765432", "87654321"] * 10
    cards = ["4111111111111111", "5555555555554444"] * 10
    assert types_of(Sample(fields={name: phones})) == {}
    assert types_of(Sample(fields={name: cards})) == {}


def test_vetoes_never_hit_the_hinted_type() -> None:
    assert "ip_address" in field_vetoes("app_version") and "ip_address" not in field_hints("app_version")
    assert "phone" in field_vetoes("order_id")
    assert field_vetoes("phone_number") & field_hints("phone_number") == frozenset()


def test_per_column_confidence_counts_what_validated() -> None:
    values = ["jane@example.com"] * 45 + ["n/a"] * 5
    (pd,) = classify(Sample(fields={"email": values}))
    assert pd.validated == (45,) and pd.sampled == (50,)


def test_large_column_settles_and_says_its_count_is_estimated() -> None:
    values = [f"user{i}@example.com" for i in range(3000)]
    (pd,) = classify(Sample(fields={"contact": values}), None)
    # the default reads 1,000 values and stops validating once the decision is settled (64 values on)
    assert pd.count == 1000 and pd.detail.get("estimated") is True and pd.sampled == (1000,)
    from auditor.classify import ClassifyOptions

    (pd,) = classify(Sample(fields={"contact": values}), ClassifyOptions(max_values_per_field=10**6))
    assert pd.count == 3000 and pd.detail.get("estimated") is True and pd.sampled == (3000,)
    (pd,) = classify(Sample(fields={"contact": values}), ClassifyOptions(max_values_per_field=10**6, settle_values=0))
    assert pd.count == 3000 and "estimated" not in pd.detail


# ---------------------------------------------------------------- E: addresses of the region


@pytest.mark.parametrize("text", [
    "Ship to No. 12, Jalan Ampang, 50450 Kuala Lumpur before Friday",
    "alamat: Jl. Sudirman No. 5, RT 01/RW 02, Jakarta Selatan 12190",
    "deliver 99/1 Soi Sukhumvit 21, Khlong Toei, Bangkok 10110 please",
    "ส่งที่ 99/1 ซอยสุขุมวิท 21 แขวงคลองเตยเหนือ เขตวัฒนา กรุงเทพฯ 10110",
    "giao hàng 12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
    "send to 123 Rizal St., Brgy. San Antonio, Makati City 1200",
    "寄到上海市浦东新区世纪大道100号",
    "deliver to Blk 123 Ang Mo Kio Ave 3 #05-123 Singapore 560123",
])
def test_addresses_in_text(text: str) -> None:
    assert types_of(Sample(text=[text])).get("postal_address", 0) >= 1


@pytest.mark.parametrize("text", [
    "Jalan-jalan cari makan 2024 was fun",
    "the soi dog barked 3 times",
    "barangay elections on 2025-05-12",
    "Room 12, 3 people, 10110 points",
])
def test_address_decoys_in_text(text: str) -> None:
    assert "postal_address" not in types_of(Sample(text=[text]))


# ---------------------------------------------------------------- E: card brands


@pytest.mark.parametrize(("pan", "brand"), [
    ("3530111333300000", "jcb"), ("3566002020360505", "jcb"), ("6200000000000005", "unionpay"),
    ("6250941006528599", "unionpay"), ("36227206271667", "diners"), ("30569309025904", "diners"),
    ("6759649826438453", "maestro"), ("5018000000000009", "maestro"), ("6304000000000000", "maestro"),
    ("213100000000001", "jcb"), ("180000000000002", "jcb"), ("8171999927660000", "unionpay"),
])
def test_card_brands(pan: str, brand: str) -> None:
    assert v.payment_card(pan) == brand
    (pd,) = classify(Sample(text=[f"paid with {pan} today"]))
    assert pd.type == "payment_card" and pd.detail["brands"] == [brand]


# ---------------------------------------------------------------- E: names in free text


@pytest.mark.parametrize(("text", "count"), [
    ("Dear Siti Nurhaliza, your order has shipped", 1),
    ("name: Tan Wei Ming; status: ok", 1),
    ("From: John Tan <john.tan@example.com>", 1),
    ("Mr. Nguyen Van An called twice", 1),
    ("The Quick Brown Fox jumps", 0),
    ("Singapore Airlines flight SQ 12", 0),
    ("dear customer, thank you", 0),
])
def test_names_in_text_need_context(text: str, count: int) -> None:
    assert types_of(Sample(text=[text])).get("person_name", 0) == count


# ---------------------------------------------------------------- E: phones in log-like text


@pytest.mark.parametrize(("text", "count"), [
    ("2024-03-05T10:22:31Z INFO order_id=91234567 latency=12ms", 0),
    ("2024-03-05 10:22:31 INFO request 1700000000123 served", 0),
    ("order #8123 4567 shipped", 0),
    ("ts=2024-03-05 10:22:31 user=42", 0),
    ("build 9123 4567 ok", 1 - 1),
    ("contact +65 9123 4567 after 6pm", 1),
    ("call me at 9123 4567", 1),
    ("hp: 0812-3456-7890", 1),
    ("13812345678 placed the order", 0),  # a bare run of digits in prose is an id until a phone word says so
    ("手机 13812345678", 1),
])
def test_phone_precision_in_logs(text: str, count: int) -> None:
    assert types_of(Sample(text=[text])).get("phone", 0) == count


# ---------------------------------------------------------------- A: the phone fast path


def test_fast_phone_path_agrees_with_phonenumbers() -> None:
    r = random.Random(4)
    regions = DEFAULT_PHONE_REGIONS
    samples: list[str] = []
    for region in regions:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is None:
                continue
            for fmt in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                        phonenumbers.PhoneNumberFormat.NATIONAL):
                samples.append(phonenumbers.format_number(ex, fmt))
            nn = str(ex.national_number)
            for _ in range(40):
                samples.append(nn[:-4] + "".join(r.choice("0123456789") for _ in range(4)))
    for _ in range(600):
        d = "".join(r.choice("0123456789") for _ in range(r.randint(7, 15)))
        samples += [d, "+" + d, f"{d[:4]} {d[4:]}"]
    differ = [s for s in samples if v._phone_parse.__wrapped__(s, regions) != v.phone_parse_reference(s, regions)]
    # the one reading the fast path leaves out on purpose: a region's international dialling
    # prefix inside a national number (phonenumbers reads "0371..." from SG as a call to +7 ...)
    idd = [s for s in differ if not s.startswith("+") and s[:1] == "0"]
    assert differ == idd, differ[:10]
    assert len(idd) <= len(samples) // 100


# ---------------------------------------------------------------- G: one record per type


def test_every_contract_type_has_one_record_and_back() -> None:
    assert [s.name for s in BUILTIN] and set(BY_NAME) == set(PERSONAL_DATA_TYPES)
    for spec in BUILTIN:
        assert 0 < spec.strength <= 1
        assert spec.mask("4111111111111111") != "4111111111111111"
        assert spec.hints, spec.name
        assert spec.prefilter, spec.name


# ---------------------------------------------------------------- A: settling and caches


def test_settled_column_keeps_the_exact_decision_and_a_close_count() -> None:
    from auditor.classify import ClassifyOptions

    rng = random.Random(9)
    values = [f"user{i}@example.com" if rng.random() < 0.7 else f"note {i}" for i in range(6000)]
    uncapped = ClassifyOptions(max_values_per_field=10**6, settle_values=256)
    exact = ClassifyOptions(max_values_per_field=10**6, settle_values=0)
    (est,) = classify(Sample(fields={"email": values}), uncapped)
    (ex,) = classify(Sample(fields={"email": values}), exact)
    assert est.type == ex.type == "email" and est.detail.get("estimated") is True
    assert abs(est.count - ex.count) <= 0.05 * ex.count


def test_share_near_the_threshold_is_never_settled_early() -> None:
    from auditor.classify import ClassifyOptions

    values = (["4111111111111111"] * 79 + ["order 1"] * 21) * 40  # 79%: just under the 80% threshold
    options = ClassifyOptions(max_values_per_field=10**6, settle_values=256)
    assert classify(Sample(fields={"ref": values}), options) == classify(
        Sample(fields={"ref": values}), ClassifyOptions(max_values_per_field=10**6, settle_values=0))


def test_text_verdict_cache_holds_no_raw_values() -> None:
    from auditor.classify import text as T

    classify(Sample(text=["mail jane.doe@example.com or call +65 9123 4567"]))
    assert T._VERDICTS and not any(isinstance(part, (bytes, str)) and ("jane" in str(part) or "9123" in str(part))
                                   for key in T._VERDICTS for part in key)


def test_default_settles_a_table_sample_with_the_exact_decision_and_counts() -> None:
    """A sampled table's columns (200 rows): uniform columns settle after 64 values with the
    counts an exact pass gives; a column near the threshold is read to the end."""
    from auditor.classify import ClassifyOptions

    exact = ClassifyOptions(settle_values=0)
    fields = {
        "email": [f"user{i}@example.com" for i in range(200)],
        "phone": [f"+65 9{i:07d}" for i in range(200)],
        "full_name": [f"Name {i}" for i in range(200)],
        "created_at": [f"2018-01-01T{i % 24:02d}:00:00" for i in range(200)],
        "ref": (["4111111111111111"] * 79 + ["order 1"] * 21) * 2,  # 79%: just under the threshold
    }
    settled = {p.type: p for p in classify(Sample(fields=fields))}
    full = {p.type: p for p in classify(Sample(fields=fields), exact)}
    assert set(settled) == set(full) and {"email", "phone"} <= set(settled)
    for t in ("email", "phone"):
        assert settled[t].count == full[t].count == 200 and settled[t].where == full[t].where
        assert settled[t].confidence == full[t].confidence and settled[t].detail.get("estimated") is True
        assert settled[t].sampled == (200,)
    ref = {"ref": fields["ref"]}
    assert classify(Sample(fields=ref)) == classify(Sample(fields=ref), exact)

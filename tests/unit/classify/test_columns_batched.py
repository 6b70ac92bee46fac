"""decide_field gives exactly what it gave before its validation was batched.

``reference_decide_field`` below is a verbatim copy of ``columns.decide_field`` (and of its
``_texts``) as they were before the block's values were validated by batch validators
(``validators.BATCHES``), a type's verdicts forgotten only when it had taken values, and the
examples loop cut short: every hit (type, count, confidence, tags in their order, examples,
validated, estimated) and the texts must be the same for columns of every kind.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections import Counter
from decimal import Decimal
from itertools import repeat
from typing import Any, cast

import pytest
import re2

from auditor.classify import columns
from auditor.classify import validators as v
from auditor.classify.columns import (
    _FAST_TEXT, _not_none, _plan, _settled, _shuffled, _surely_below, decide_field, to_text,
    validators_for,
)
from auditor.classify.custom import DetectorSpec
from auditor.classify.options import ClassifyOptions
from auditor.classify.results import Hit, confidence
from auditor.classify.validators import luhn_ok


_UNSEEN: Any = object()

# ------------------------------------------------------------------ the reference (verbatim)

def _reference_texts(values: list[Any], hash_context: bool, limit: int) -> list[str]:
    """Non-empty texts of the values, at most ``limit``; a column of strings takes a fast path."""
    try:
        texts = list(filter(None, map(str.strip, values)))  # the non-empty ones, the loop in C
    except TypeError:  # not all strings
        kinds = set(map(type, values))
        kinds.discard(type(None))  # NULLs hold nothing
        present = filter(_not_none, values) if len(kinds) < len(set(map(type, values))) else values
        fast = _FAST_TEXT.get(kinds.pop()) if len(kinds) == 1 else None
        if fast is not None:  # a column of one plain type (a driver's typed values), the loop in C
            return list(filter(None, fast(present)))[:limit]
        texts = []
        for value in values:
            text = to_text(value, hash_context)
            if text:
                texts.append(text)
                if len(texts) >= limit:
                    break
    return texts[:limit]


def reference_decide_field(name: str, values: list[Any], options: ClassifyOptions,
                 validators: dict[str, v.Validator] | None = None) -> tuple[list[Hit], list[str]]:
    """Hits for one field, and its non-empty texts (for the free-text pass).

    Each distinct value is validated once and counts as often as it occurs. A type the
    field name vetoes (``app_version`` against IP addresses, ``order_id`` against phones)
    is not considered unless the name also hints at it. ``validators``: :func:`validators_for`
    of ``options``, when the caller already has them (one look-up per sample, not per field)."""
    plan = _plan(options)
    hints, hinted_types, unhinted, card_first = plan.field(name)
    texts = _reference_texts(values, "password_hash" in hints, options.max_values_per_field)
    if not texts:
        return [], texts
    present = plan.prefilter.match("\n".join(texts).encode("utf-8", "replace"))
    # candidates: the types the name hints at, then the types found by the prefilter (each part in
    # the types' order); a name hinting at partial card numbers makes whole ones a candidate first
    rest = [t for t in unhinted if t in present]
    if card_first:
        if "payment_card" in hints:
            hinted_types = ["payment_card"] + [t for t in hinted_types if t != "payment_card"]
        else:
            rest = ["payment_card"] + [t for t in rest if t != "payment_card"]
    order = hinted_types + rest
    if not order:
        return [], texts
    if validators is None:
        validators = validators_for(options)  # per call, not per plan: a validator replaced in the module counts
    by_name = plan.by_name
    counts: Counter = Counter()
    unknown_ids = 0
    tags: dict[str, Counter] = {t: Counter() for t in order}
    examples: dict[str, list[str]] = {t: [] for t in order}
    active = list(order)
    active_set = set(active)
    dropped: dict[str, int] = {}  # type -> values read when the probe dropped it
    probe, floor = options.probe_values, options.threshold * 0.25
    seen = 0
    probed = False
    estimated = 0.0
    verdicts: dict[str, tuple[str, str] | None] = {}  # each distinct value validated once
    n_texts = len(texts)
    # a column that may settle is read in a fixed pseudo-random order, so the values read before
    # it settles are a random sample of the column, not its first rows (data is often sorted or
    # written in blocks); a column too short to settle is read in the data's order
    settle = options.settle_values if options.settle_values and n_texts > options.settle_values else 0
    next_check = min(settle, 32) if settle else n_texts + 1
    checkpoint = min(probe, next_check)  # the next number of values read at which to take stock
    order_of = _shuffled(n_texts) if settle else None
    while seen < n_texts:
        # the values up to the next checkpoint are read as one block: nothing is decided between
        # checkpoints, so each type's validator runs over the block's new distinct values at once
        # (the first type in ``active`` order that accepts a value takes it, as one value at a time)
        end = min(max(checkpoint, seen + 1), n_texts)
        block = list(map(texts.__getitem__, order_of[seen:end])) if order_of is not None else texts[seen:end]
        seen = end
        pending = [x for x in dict.fromkeys(block)
                   if (g := verdicts.get(x, _UNSEEN)) is _UNSEEN or (g is not None and g[0] not in active_set)]
        for t in active:
            if not pending:
                break
            got_tags = list(map(validators[t], pending, repeat(t in hints)))
            rejected = got_tags.count(None)
            if rejected == len(got_tags):  # none of type t: all still pending, in C
                continue
            if not rejected:  # all of type t
                verdicts.update(zip(pending, zip(repeat(t), cast("list[str]", got_tags))))
                pending = []
                break
            rest = []
            for x, tag in zip(pending, got_tags):
                if tag is None:
                    rest.append(x)
                else:
                    verdicts[x] = (t, tag)
            pending = rest
        verdicts.update(dict.fromkeys(pending))  # validated by no active type
        got_block = Counter(map(verdicts.__getitem__, block))
        fill = False
        for got, n in got_block.items():
            if got is None:
                continue
            t, tag = got
            if tag.startswith("?"):
                unknown_ids += n  # shape of an id, checksum not confirmable, no context
            else:
                counts[t] += n
            tags[t][tag] += n
            fill = fill or len(examples[t]) < 3
        if fill:  # the first three values read of each type, in reading order
            for x in block:
                got = verdicts[x]
                if got is not None and len(examples[got[0]]) < 3:
                    examples[got[0]].append(x)
        if seen < checkpoint:
            continue
        if not probed and seen >= probe:
            probed = True
            keep = [t for t in active if t in hints
                    or counts[t] + (unknown_ids if t == "national_id" else 0) >= floor * seen]
            dropped.update({t: seen for t in active if t not in keep})
            active, active_set = keep, set(keep)
            if not active:
                break
        if seen >= next_check and seen < n_texts:
            next_check = seen + 32
            # a type surely below the least share any rule accepts is settled: no longer validated
            gone = [t for t in active if _surely_below(t, counts, unknown_ids, seen, hints, options)]
            if gone:
                dropped.update({t: seen for t in gone})
                active = [t for t in active if t not in gone]
                active_set = set(active)
                if not active:
                    break
            examined = {t: dropped.get(t, seen) for t in order}
            if _settled(active, counts, examined, hints, options) and not unknown_ids:
                estimated = n_texts / seen  # the rest counts at the share the sample settled on
                break
        checkpoint = min(probe if not probed else n_texts + 1, next_check)
    examined = {t: dropped.get(t, seen) for t in order}
    if counts["national_id"] > 0:
        counts["national_id"] += unknown_ids
    elif unknown_ids and "national_id" in tags:
        tags["national_id"] = Counter({k: n for k, n in tags["national_id"].items() if not k.startswith("?")})
    if estimated:
        for t in order:
            counts[t] = round(counts[t] * estimated)
            examined[t] = round(examined[t] * estimated)
            tags[t] = Counter({k: round(n * estimated) for k, n in tags[t].items()})
    # the mixed rule's total share: each type at the share it was read at (a type dropped early
    # counts at its sampled share, not at the few values read before it was dropped)
    total_share = sum(counts[t] / max(examined[t], 1) for t in order)
    hits: list[Hit] = []
    for t in order:
        n = counts[t]
        if n < options.min_count:
            continue
        read = max(examined[t], 1)
        share = n / read
        hinted = t in hints
        mixed = total_share >= options.threshold and share >= options.mixed_share
        if share >= options.threshold or (hinted and share >= options.hinted_threshold) or mixed:
            spec = by_name[t]
            hit = Hit(type=t, where=name, count=n, confidence=confidence(t, share, hinted, spec.strength),
                      tags=tags[t], spec=spec if spec.category else None, validated=read,
                      estimated=bool(estimated))
            for raw in examples[t]:
                hit.add_example(raw, options.max_examples)
            hits.append(hit)
    return hits, texts


# ------------------------------------------------------------------ the columns


def _luhn_ids(n: int, prefix: str = "EMP-") -> list[str]:
    out, i = [], 100000
    while len(out) < n:
        body = str(i)[:5]
        out.extend(f"{prefix}{body}{d}" for d in "0123456789" if luhn_ok(body + d))
        i += 10
    return out[:n]


DETECTOR = DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", validator="luhn", keywords=("employee", "staff"),
                        column_hints=("emp_id", "staff_ref"), category="national_id", mask="last4")

# values of every kind, a few of each: valid and near-valid, and values two types accept
POOL: dict[str, list[Any]] = {
    "email": [f"user{i}@example.com" for i in range(40)] + ["mailto:a.b@example.org", "a..b@example.com",
              "x@example.notatld", "MIXED@Example.COM", "first.last+tag@sub.example.co.uk", "@example.com"],
    "phone": [f"+65 9{1000000 + i * 37:07d}" for i in range(40)] + [
        "+65 6123 4567", "91234567", "6591234567", "+60 12-345 6789", "0812-3456-7890", "+66 81 234 5678",
        "(02) 1234 5678", "+84 91 234 56 78", "+63 917 123 4567", "+86 138 0013 8000", "+852 9123 4567",
        "+886 912 345 678", "0065 9123 4567", "2019-01-02", "10.0.0.1", "+1 415 555 0100", "12345", "999999999"],
    "card": ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "4111111111111112",
             "6011000990139424", "3530111333300000", "6200000000000005", "30569309025904"],
    "partial": ["4111 **** **** 1111", "411111******1111", "XXXX-XXXX-XXXX-1234", "1234", "**** 1234", "411111...1111",
                "4111|1111", "•••• •••• •••• 4242", "4111\n...1111"],
    "ids": ["S1234567D", "F1234567N", "G1234567X", "M1234567K", "M1111111N", "T0000001E", "S1234567A",
            "A123456(3)", "900101-14-5678", "880101-14-5678", "3201012345670001", "110101199003074477",
            "1-2345-67890-12-1", "A123456789", "017106926178", "860017967267", "4787515210415", "S0000001I"],
    "ip": [f"10.{i}.{i % 7}.{1 + i}" for i in range(20)] + ["0.0.0.0", "010.1.1.1", "256.1.1.1", "::1", "fe80::1%eth0",
           "2001:db8::ff00:42:8329", "::ffff:192.0.2.1", "1:2", "abcd:ef01::"],
    "dates": ["1990-01-02", "02/01/1990", "1990年1月2日", "2 Jan 1990", "2099-01-01", "1800-01-01", "19900102",
              "1990-01-02T10:00:00", "31/02/1990"],
    "names": ["Alice Tan", "Nguyễn Văn An", "Siti Nurhaliza", "O'Brien", "Name 1", "X", "Jean-Luc Picard", "สมชาย ใจดี"],
    "addresses": ["12 Jalan Ampang", "Blk 123 Ang Mo Kio Ave 3 #01-234 Singapore 560123", "Singapore", "560123",
                  "1 Main Street", "Jl. Sudirman No. 5", "Somewhere nice"],
    "hashes": ["$2b$12$" + "a" * 53, "5f4dcc3b5aa765d61d8327deb882cf99", "d41d8cd98f00b204e9800998ecf8427e",
               "pbkdf2_sha256$260000$abc$" + "A" * 43 + "=", "$1$abcdefgh$" + "b" * 22, "0" * 32],
    "employee": _luhn_ids(12) + ["EMP-123456"],
    "junk": ["n/a", "", "   ", "-", "0", "1.5", "true", "0.8444218515250481", "2018-01-01T01:00:00", "lorem ipsum",
             "abc\ndef", "Name 2"],
    "typed": [None, None, 12, 4111111111111111, 6591234567, 1.5, 6591234567.0, 1e6, Decimal("6591234567"),
              Decimal("1.25"), True, _dt.date(1990, 1, 2), _dt.datetime(2018, 1, 1, 1), b"user@example.com",
              bytes(range(16)), {"email": "a@example.com"}, ["x"], "  padded@example.com  "],
}

NAMES = ["email", "customer_email", "contact", "phone_no", "mobile", "order_id", "app_version", "card_number",
         "card_last4", "nric", "national_id", "dob", "birth_date", "created_at", "password", "password_hash",
         "ip", "login_ip", "address", "home_address", "full_name", "product.name", "emp_id", "notes", "city",
         "score", "id", "profile.contact.phone", "items[].cardNumber", ""]

OPTIONS = [
    ClassifyOptions(),
    ClassifyOptions(settle_values=0),
    ClassifyOptions(probe_values=8, settle_values=16),
    ClassifyOptions(threshold=0.5, hinted_threshold=0.1, mixed_share=0.05),
    ClassifyOptions(threshold=0.95, min_count=3, max_values_per_field=150),
    ClassifyOptions(phone_regions=("SG", "US"), max_examples=1),
    ClassifyOptions(detectors=(DETECTOR,)),
    ClassifyOptions(types=("email", "phone", "national_id")),
]


def _same(name: str, values: list[Any], options: ClassifyOptions) -> None:
    got_hits, got_texts = decide_field(name, list(values), options)
    want_hits, want_texts = reference_decide_field(name, list(values), options)
    assert got_texts == want_texts
    assert got_hits == want_hits  # type, where, count, confidence, examples, tags, spec, validated, estimated
    for got, want in zip(got_hits, want_hits):
        assert list(got.tags.items()) == list(want.tags.items())  # the same order too
        assert got.examples == want.examples


def _mixed(rnd: random.Random, kinds: list[str], n: int) -> list[Any]:
    weights = [rnd.random() ** 2 for _ in kinds]
    return [rnd.choice(POOL[rnd.choices(kinds, weights)[0]]) for _ in range(n)]


def _estate_table(rows: list[int]) -> dict[str, list[str]]:
    rnd = random.Random(len(rows))
    return {
        "id": [str(g) for g in rows], "full_name": [f"Name {g}" for g in rows],
        "email": [f"user{g}@example.com" for g in rows], "phone": [f"+65 9{g % 10_000_000:07d}" for g in rows],
        "city": ["Singapore"] * len(rows), "score": [repr(rnd.random()) for _ in rows],
        "created_at": [(_dt.datetime(2018, 1, 1) + _dt.timedelta(hours=g)).isoformat() for g in rows],
        "updated_at": [(_dt.datetime(2019, 3, 1) + _dt.timedelta(minutes=g)).isoformat() for g in rows],
    }


@pytest.mark.parametrize("options", OPTIONS, ids=range(len(OPTIONS)))
def test_the_sql_benchmark_estates_columns_decide_as_before(options: ClassifyOptions) -> None:
    for rows in (list(range(1, 201)), sorted(random.Random(5).sample(range(1, 5_000_001), 1000))):
        for name, values in _estate_table(rows).items():
            _same(name, values, options)


@pytest.mark.parametrize("options", OPTIONS, ids=range(len(OPTIONS)))
def test_columns_of_one_kind_decide_as_before(options: ClassifyOptions) -> None:
    rnd = random.Random(11)
    for kind in POOL:
        for name in NAMES:
            for n in (1, 5, 70, 300):
                _same(name, [rnd.choice(POOL[kind]) for _ in range(n)], options)


@pytest.mark.parametrize("seed", range(6))
def test_mixed_columns_decide_as_before(seed: int) -> None:
    rnd = random.Random(seed)
    kinds = list(POOL)
    for _ in range(120):
        chosen = rnd.sample(kinds, rnd.randint(1, 4))
        n = rnd.choice([3, 40, 64, 65, 130, 400, 1200])
        _same(rnd.choice(NAMES), _mixed(rnd, chosen, n), rnd.choice(OPTIONS))


@pytest.mark.parametrize("share", [0.25, 0.29, 0.3, 0.31, 0.75, 0.79, 0.8, 0.81, 0.85, 0.95])
def test_columns_near_the_thresholds_decide_as_before(share: float) -> None:
    rnd = random.Random(int(share * 100))
    for n in (50, 64, 100, 256, 1000):
        hits = round(n * share)
        for kind, names in (("email", ("contact", "email")), ("phone", ("notes", "phone")), ("ip", ("x", "login_ip"))):
            values = [rnd.choice(POOL[kind]) for _ in range(hits)] + [f"n/a {i}" for i in range(n - hits)]
            rnd.shuffle(values)
            for name in names:
                for options in OPTIONS[:4]:
                    _same(name, values, options)


def test_a_type_dropped_after_taking_values_gives_them_to_the_next_type_as_before(monkeypatch) -> None:
    """Twelve digits a national id and a phone both accept, a few among phones: national_id (first
    in the types' order) takes them, is dropped at the probe, and phone reads them again."""
    both = ["017106926178", "860017967267", "876485199338"]
    assert all(validators_for(ClassifyOptions())[t](x, False) for x in both for t in ("national_id", "phone"))
    rnd = random.Random(3)
    values = [rnd.choice(POOL["phone"][:40]) for _ in range(400)]
    for i in range(0, 400, 25):
        values[i] = both[i % 3]
    forgot = []
    real = columns._forget

    def spy(verdicts: dict, gone: list[str], tags: dict) -> None:
        before = len(verdicts)
        real(verdicts, gone, tags)
        forgot.append(before - len(verdicts))

    monkeypatch.setattr(columns, "_forget", spy)
    for options in OPTIONS[:3]:
        _same("contact", values, options)
    assert any(forgot), "the column must drop a type that took values"


def test_empty_and_null_columns_decide_as_before() -> None:
    for values in ([], [None], [None] * 100, [""] * 10, ["  ", "\t"], [None, "user1@example.com", None],
                   [b"", bytearray(b"user@example.com"), memoryview(b"\xff\xfe")]):
        for options in OPTIONS:
            _same("email", cast("list[Any]", values), options)
    # longer than max_values_per_field, with values that are no strings before or past the cut
    emails = POOL["email"] * 5
    for values in (emails + [None, 5], [" ", None] + emails + [b"x"], emails[:149] + [7] + emails, [""] * 300 + emails):
        for options in (OPTIONS[0], OPTIONS[4]):
            _same("email", cast("list[Any]", values), options)


def test_custom_detectors_decide_as_before() -> None:
    ids = _luhn_ids(300)
    options = ClassifyOptions(detectors=(DETECTOR,))
    for name in ("emp_id", "staff_ref", "notes", "order_id"):
        _same(name, ids, options)
        _same(name, ids[:100] + ["EMP-000000"] * 30 + POOL["email"][:20], options)


# ------------------------------------------------------------------ the batch validators


def _candidates() -> list[str]:
    rnd = random.Random(17)
    out = [x for xs in POOL.values() for x in xs if isinstance(x, str)]
    alphabet = "0123456789 -+().:/@#*Xx•$abcSTFGMZ年月日\u00a0ıſ"
    out += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20))) for _ in range(3000)]
    out += ["".join(rnd.choice("0123456789") for _ in range(rnd.randint(6, 19))) for _ in range(3000)]
    return out


@pytest.mark.parametrize("hinted", [False, True])
def test_each_batch_answers_as_its_validator_value_by_value(hinted: bool) -> None:
    values = _candidates()
    phone = validators_for(ClassifyOptions())["phone"]
    batches = [*v.BATCHES.items(), (phone, v.make_phone_batch(ClassifyOptions().phone_regions))]
    assert v.email in dict(batches)
    for validate, batch in batches:
        want = [validate(x, hinted) for x in values]
        assert batch(values, hinted) == want
        for size in (1, 7, 64):  # blocks all of a shape, of none, and of both
            for i in range(0, len(values), size):
                assert batch(values[i:i + size], hinted) == want[i:i + size]
        shaped = [x for x, w in zip(values, want) if w is not None]
        assert batch(shaped, hinted) == [w for w in want if w is not None]


@pytest.mark.parametrize("hinted", [False, True])
def test_each_line_gate_lets_through_every_value_its_validator_accepts(hinted: bool) -> None:
    values = [x for x in _candidates() + ["१२३४५६७८९०१२३", "٠١٢٣٤٥٦٧٨٩٠١٢", "Zoë Ångström", "+65\u00a09123\u00a04567",
                                         "user@exämple.com", "4111\u20091111\u20091111\u20091111",
                                         "4111\n...5678", "411111\n|\n1234", "4111\n1111 1111 1111"]
              if x == x.strip()]  # decide_field's texts are stripped
    phone = validators_for(ClassifyOptions())["phone"]
    gates = {**v.GATED, phone: "phone"}
    assert set(gates.values()) == set(v.LINE_GATES)
    for validate, gate in gates.items():
        pattern = re2.compile(f"(?m)^(?:{v.LINE_GATES[gate]})$")  # as decide_field runs it
        accepted = [x for x in values if validate(x, hinted) is not None]
        assert accepted or not hinted, gate  # the test reads values of every gate's type
        for x in accepted:
            assert pattern.search(x) is not None, (gate, x)
        # and joined, as decide_field reads them: the lines of the accepted values are found
        assert not accepted or pattern.search("\n".join(accepted)) is not None


def count_validator_calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every validator called through a counting batch: the values each type was asked about."""
    calls: Counter = Counter()

    def counting(name: str, fn: Any) -> Any:
        batch = columns._batches.get(fn)

        def count(values: list[str], hinted: bool) -> list[str | None]:
            calls[name] += len(values)
            return batch(values, hinted) if batch is not None else [fn(x, hinted) for x in values]
        return count

    for name, fn in validators_for(ClassifyOptions()).items():
        monkeypatch.setitem(columns._batches, fn, counting(name, fn))
    return calls


def test_a_column_no_type_could_be_of_is_not_validated(monkeypatch) -> None:
    """The line gates spare the validators: full names with digits are no person names, floats and
    timestamps no cards, ids, addresses or phones."""
    calls = count_validator_calls(monkeypatch)
    table = _estate_table(list(range(1, 201)))
    for name in ("full_name", "created_at", "updated_at"):
        assert decide_field(name, table[name], ClassifyOptions()) == reference_decide_field(name, table[name], ClassifyOptions())
    assert not calls
    decide_field("email", table["email"], ClassifyOptions())
    assert calls["email"]


# a phone validator replaced at runtime (found by review): its batch and line gate copy the module's
# own phone rules, so with make_phone or phone_reading replaced, phones are read value by value

def test_a_replaced_make_phone_is_called_value_by_value(monkeypatch) -> None:
    def make_phone(regions):  # e.g. a test's or a plugin's phone reader: extensions as phones
        def phone(value: str, hinted: bool = False) -> str | None:
            return "SG" if value.startswith("ext ") else None
        return phone

    monkeypatch.setattr(v, "make_phone", make_phone)
    monkeypatch.setattr(columns, "_phone_cache", {})
    options = ClassifyOptions(phone_regions=("SG", "JP"))  # regions no other test made a validator for
    for values in ([f"ext {i}" for i in range(50)], ["+65 9123 4567"] * 50):
        assert columns.decide_field("phone", list(values), options) == reference_decide_field(
            "phone", list(values), options)


def test_a_replaced_phone_reading_is_heard_by_the_batch(monkeypatch) -> None:
    options = ClassifyOptions()
    columns.validators_for(options)  # the phone validator made (with its batch) before the replacement
    monkeypatch.setattr(v, "phone_reading", lambda value, regions: None)  # e.g. phones switched off in a test
    values = ["+65 9123 4567"] * 50
    got = columns.decide_field("phone", list(values), options)
    assert got == reference_decide_field("phone", list(values), options)
    assert got[0] == []

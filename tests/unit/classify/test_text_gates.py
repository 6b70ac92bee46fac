"""Free text: a type that can count only with its keyword (a date of birth, a user-defined
detector with keywords) is present in a chunk only where the keyword is: the prefilter's one
pass over the whole chunk decides it exactly, and a chunk without one is not read for it."""

from __future__ import annotations

import re

from auditor.classify import ClassifyOptions, DetectorSpec, classify
from auditor.classify import text as T
from auditor.classify.prefilter import prefilter_for
from auditor.classify.validators import luhn_ok
from auditor.models import Sample

UNCAPPED = dict(max_text_values=10**9, max_text_candidates=10**9, max_values_per_field=10**9)
DETECTOR = DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", validator="luhn", keywords=("employee", "staff"),
                        category="national_id")


def _emp(n: int) -> list[str]:
    out, i = [], 10000
    while len(out) < n:
        body = str(i)
        out.append(next(f"EMP-{body}{d}" for d in "0123456789" if luhn_ok(body + d)))
        i += 1
    return out


def _counts(text: str, **options: object) -> dict[str, int]:
    T._VERDICTS.clear()
    return {p.type: p.count for p in classify(Sample(text=[text]), ClassifyOptions(**{**UNCAPPED, **options}))}


def test_a_date_of_birth_with_its_keyword_is_found_and_the_keyword_alone_opens_nothing() -> None:
    text_pf = prefilter_for(frozenset({"date_of_birth"}), (), (), True)
    assert text_pf.match(b"patient DOB: 1990-01-02, seen today") == {"date_of_birth"}
    assert text_pf.match(b"she was born in spring; the visit was on 1990-01-02") == set()
    assert text_pf.match(b"date of birth 02/01/1990") == {"date_of_birth"}
    # the column prefilter is unchanged: a keyword there still says "possible"
    assert prefilter_for(frozenset({"date_of_birth"})).match(b"born") == {"date_of_birth"}
    assert _counts("patient DOB: 1990-01-02, seen today\n").get("date_of_birth") == 1
    assert "date_of_birth" not in _counts("she was born in spring; the visit was on 1990-01-02\n")


def test_dates_of_birth_in_a_settled_megabyte_are_counted_as_in_an_exact_read() -> None:
    filler = "".join(f"born to run, ticket {i} closed on 2026-01-{1 + i % 28:02d}\n" for i in range(30000))
    lines = filler.splitlines(keepends=True)
    for k, i in enumerate(range(0, len(lines), 1500)):
        lines[i] = f"member DOB: 19{50 + k % 40}-0{1 + k % 9}-1{k % 9}\n"
    text = "".join(lines)
    assert len(text.encode()) > 1 << 20
    exact = _counts(text, settle_values=0).get("date_of_birth")
    assert exact == len(range(0, len(lines), 1500))
    assert _counts(text, settle_values=64).get("date_of_birth") == exact  # too few to settle: every block read


def test_a_detector_with_keywords_is_gated_on_them_and_still_needs_one_nearby() -> None:
    ids = _emp(3)
    opts = ClassifyOptions(detectors=(DETECTOR,), **UNCAPPED)
    gates = (("employee_id", "(?i)employee|staff"),)
    pf = prefilter_for(frozenset(), (("employee_id", DETECTOR.regex),), gates, True)
    assert pf.match(f"parcel {ids[0]} shipped".encode()) == set()
    assert pf.match(f"STAFF list\n{'x' * 200}\nparcel {ids[0]} shipped".encode()) == {"employee_id"}
    assert pf.match(b"staff list, no ids") == set()

    def found(text: str) -> dict[str, int]:
        T._VERDICTS.clear()
        return {p.type: p.count for p in classify(Sample(text=[text]), opts)}

    assert found(f"parcel {ids[0]} shipped") == {}
    assert found(f"STAFF list\n{'x' * 200}\nparcel {ids[0]} shipped") == {}  # a keyword, but not nearby
    assert found(f"Employee {ids[1]} signed in; staff {ids[2]} too") == {"employee_id": 2}


def test_a_detector_without_keywords_is_not_gated() -> None:
    (emp,) = _emp(1)
    plain = DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", validator="luhn", category="national_id")
    T._VERDICTS.clear()
    found = {p.type: p.count for p in classify(Sample(text=[f"parcel {emp} shipped"]),
                                               ClassifyOptions(detectors=(plain,), **UNCAPPED))}
    assert found == {"employee_id": 1}


def test_a_large_chunk_s_presence_read_head_first_is_the_whole_chunk_s() -> None:
    """The head read with every type, the whole chunk with the rest: the same types as one
    read of the whole chunk with every type, wherever in the chunk a type's only value is."""
    (emp,) = _emp(1)
    gates = (("employee_id", "(?i)employee|staff"),)
    extra = (("employee_id", DETECTOR.regex),)
    wanted = frozenset(s.name for s in T.specs_for(ClassifyOptions()) if s.extract) | {"employee_id"}
    pf = prefilter_for(wanted - {"employee_id"}, extra, gates, True)
    filler = "".join(f"lorem ipsum {i} dolor sit amet, mail a{i}@example.com\n" for i in range(8000))
    assert len(filler.encode()) > 4 * T._HEAD
    rare = {"payment_card_partial": "card **** **** **** 4242", "date_of_birth": "DOB: 1990-01-02",
            "employee_id": f"staff {emp}", "password_hash": "pw $2b$12$" + "a" * 53}
    for where in (0, len(filler) // 2, len(filler) - 1):
        for type_, value in rare.items():
            chunk = (filler[:where] + f"\n{value}\n" + filler[where:]).encode()
            whole = pf.match(chunk)
            assert type_ in whole
            assert T._present(pf, chunk, wanted, extra, gates) == whole, (type_, where)
    # a word cut at the head's end does not open a type the whole chunk does not hold
    cut = T._HEAD - 3
    chunk = ("x" * (cut - 1) + "\nroad" + "side " * 10 + "\n" + filler).encode()
    assert T._present(pf, chunk, wanted, extra, gates) == pf.match(chunk)


def test_a_bare_phone_number_is_counted_where_a_phone_word_is_even_after_sightings_without_one() -> None:
    """A bare run of digits is validated only where a phone word precedes an occurrence: the
    sightings without one are not counted and leave no verdict behind that would hide a later
    one with a phone word."""
    number = "91234567"  # a valid Singapore mobile
    first = f"{'lorem ipsum ' * 5}\norder total {number} paid\n" * 3
    T._VERDICTS.clear()
    opts = ClassifyOptions(**UNCAPPED)
    assert classify(Sample(text=[first]), opts) == ()
    later = {p.type: p.count for p in classify(Sample(text=[f"please call {number} today\n" + first]), opts)}
    assert later.get("phone") == 1
    T._VERDICTS.clear()
    assert {p.type: p.count for p in classify(Sample(text=[first + f"tel: {number}\n"]), opts)}.get("phone") == 1


def test_a_detector_s_gate_opens_wherever_its_keyword_check_would_find_the_keyword() -> None:
    """The gate is read by RE2, the keyword check nearby by Python's ``re``: Python's case
    folding matches ``i``, ``I``, ``İ`` and ``ı`` to one another, RE2's does not, so a keyword
    written with any of them must still open the gate on text written with another
    (Turkish capitals: ``KİMLİK`` for ``kimlik``)."""
    (emp,) = _emp(1)
    for keyword, written in (("kimlik", "KİMLİK"), ("İletişim", "iletişim"), ("kimlik", "KIMLIK")):
        assert _employee_ids(keyword, f"T.C. {written} NO: {emp}\n") == {"employee_id": 1}, (keyword, written)


def test_a_keyword_that_folds_to_ascii_is_found_in_an_ascii_window() -> None:
    """Python's ``(?i)`` matches ``İ`` and ``ı`` to ``i``/``I``, ``ſ`` to ``s``, the Kelvin sign to
    ``k``: a keyword written with them is found in a window of plain ASCII (Turkish typed
    without its letters: ``KIMLIK NUMARASI`` for ``Kimlik Numarası``), as ``re`` finds it."""
    (emp,) = _emp(1)
    for keyword, written in (("Kimlik Numarası", "KIMLIK NUMARASI"), ("KİMLİK", "kimlik"), ("ılık", "ILIK"),
                             ("paſs", "PASS"), ("\u212aey", "key")):
        assert re.search("(?i)" + re.escape(keyword), written)
        assert _employee_ids(keyword, f"{written}: {emp}\n") == {"employee_id": 1}, (keyword, written)


def _employee_ids(keyword: str, text: str) -> dict[str, int]:
    """What an employee-id detector with ``keyword`` finds in ``text`` (verdict caches empty)."""
    spec = DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", validator="luhn", keywords=(keyword,),
                        category="national_id")
    T._VERDICTS.clear()
    return {p.type: p.count for p in classify(Sample(text=[text]), ClassifyOptions(detectors=(spec,), **UNCAPPED))}

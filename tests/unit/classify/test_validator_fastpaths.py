"""Fast paths of the validators give the answers of the readings they shortcut, on generated
candidates (valid ones included) as on the shapes free text hands them."""

from __future__ import annotations

import random

from stdnum.sg import uen

from auditor.classify import ids


def _reference_company(value: str) -> bool:
    s = value.strip().upper()
    return 9 <= len(s) <= 10 and s[-1].isalpha() and uen.is_valid(s)


def _candidates(rng: random.Random, n: int) -> list[str]:
    out = []
    alphabet = "0123456789" * 3 + "RSTFGMABZ" + "rst" + " -`'." + "٣"
    for _ in range(n):
        size = rng.choice((8, 9, 9, 10, 10, 11))
        out.append("".join(rng.choice(alphabet) for _ in range(size)))
    for _ in range(n):  # valid UENs of each form, and near misses
        year = rng.randrange(1950, 2024)
        business = f"{rng.randrange(10**8):08d}"
        local = f"{year}{rng.randrange(10**5):05d}"
        other = f"{rng.choice('RST')}{rng.randrange(100):02d}{rng.choice(sorted(uen.OTHER_UEN_ENTITY_TYPES))}" \
                f"{rng.randrange(10**4):04d}"
        for body, check in ((business, uen.calc_business_check_digit), (local, uen.calc_local_company_check_digit),
                            (other, uen.calc_other_check_digit)):
            good = body + check(body)
            out += [good, good.lower(), f" {good} ", good[:-1] + rng.choice("ABCXYZ"), rng.choice("SFGM") + good[1:]]
    # the shapes free text hands the id validator: NRIC/FIN, HKID, Taiwan ids
    out += [f"{rng.choice('STFGM')}{rng.randrange(10**7):07d}{rng.choice('ABCDEFGHIJKLMNPQRTUWXZ')}" for _ in range(n)]
    out += [f"{rng.choice('ABCZ')}{rng.randrange(10**6):06d}{rng.choice('0123456789A')}" for _ in range(n)]
    return out


def test_company_id_shortcut_answers_as_stdnum_does() -> None:
    rng = random.Random(23)
    values = _candidates(rng, 3000)
    assert sum(map(_reference_company, values)) > 1000  # valid UENs are among them
    for value in values:
        assert ids.is_company_id.__wrapped__(value) is _reference_company(value), value


def test_twelve_digit_ids_answer_as_before_on_repeated_calls() -> None:
    rng = random.Random(5)
    values = [f"{rng.randrange(10**12):012d}" for _ in range(3000)]
    first = [ids.validate_national_id(v) for v in values]
    assert [ids.validate_national_id(v) for v in values] == first
    assert {t for t in first if t} >= {"in_aadhaar", "jp_my_number"}


def _phone_candidates(rng: random.Random, n: int) -> list[str]:
    prefixes = ["", "0", "00", "65", "60", "62", "66", "63", "84", "86", "852", "886", "01", "08", "09", "1", "8", "9"]
    out = []
    for _ in range(n):
        body = f"{rng.choice(prefixes)}{rng.randrange(10**rng.randrange(6, 12)):0{rng.randrange(6, 12)}d}"
        sep = rng.choice(("", " ", "-", "."))
        cut = rng.randrange(2, max(3, len(body) - 2))
        out.append(body[:cut] + sep + body[cut:] if sep else body)
    return out


def test_phone_reading_by_the_regions_that_can_read_it_answers_as_every_region_in_turn(monkeypatch) -> None:
    from auditor.classify import validators as v
    from auditor.classify.options import ClassifyOptions

    regions = ClassifyOptions().phone_regions
    values = _phone_candidates(random.Random(7), 6000)
    fast = [v._phone_parse.__wrapped__(x, regions) for x in values]
    assert sum(t is not None for t in fast) > 300 and len({t for t in fast if t}) > 6  # many regions read
    assert v._region_set(regions) is not None  # the RE2 set read every region's patterns
    monkeypatch.setattr(v, "_region_set", lambda regions: None)  # the Python pattern names the first region
    assert [v._phone_parse.__wrapped__(x, regions) for x in values] == fast
    monkeypatch.setattr(v, "_any_region", lambda regions: None)  # each region asked in turn, from the first
    assert [v._phone_parse.__wrapped__(x, regions) for x in values] == fast


def test_twelve_digit_ids_answer_when_first_called_from_threads_at_once(monkeypatch) -> None:
    """The readers' threads validate header cells: two first calls at once (one still importing
    python-stdnum's modules when the other starts) both answer, and so do all calls after."""
    import sys
    import threading
    import time

    import stdnum.jp
    import stdnum.jp.in_  # noqa: F401 - imported first, as a run would have; removed below to be imported again

    class SlowFinder:  # the first import of stdnum.jp.in_ takes a while, as a cold one does
        slowed = False

        def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201
            if name == "stdnum.jp.in_" and not SlowFinder.slowed:
                SlowFinder.slowed = True
                time.sleep(0.3)
            return None

    values = ["234567890124", "123456789018"]
    expected = [ids.validate_national_id(v) for v in values]
    monkeypatch.setattr(ids, "_TWELVE_LIBS", [])
    monkeypatch.delitem(sys.modules, "stdnum.jp.in_")
    monkeypatch.delattr(stdnum.jp, "in_")
    monkeypatch.setattr(sys, "meta_path", [SlowFinder(), *sys.meta_path])
    answers: list[object] = []

    def first_call() -> None:
        try:
            answers.append([ids._twelve(v) for v in values])
        except Exception as exc:  # noqa: BLE001 - the answer the test reports
            answers.append(exc)

    threads = [threading.Thread(target=first_call) for _ in range(2)]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for t in threads:
        t.join()
    assert answers == [expected, expected]
    assert [ids._twelve(v) for v in values] == expected  # and every call after

"""The free-text scan gives what it gave before its per-block and per-candidate work was cut
(``reference_text_scan.py`` holds the scan as it was): the same hits in the same order, with
the same counts, tags, examples, confidences and ``capped``/``estimated`` flags, and the same
candidates validated (the verdict caches end equal), on varied texts and options: the
benchmark's corpus (mixed free text, a CSV read as text, labelled documents) at several
seeds, sampled (settling) and read whole, within and past the budgets, with a user-defined
detector and its keywords, cold and with the verdicts of an earlier call kept."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from auditor.classify import ClassifyOptions, DetectorSpec
from auditor.classify import text as T
from auditor.classify.prefilter import EXTRACT
from tests.unit.classify import reference_text_scan as R

UNCAPPED = dict(max_text_values=10**9, max_text_candidates=10**9, max_values_per_field=10**9)
MIB = 1 << 20
DETECTOR = DetectorSpec(name="employee_id", regex=r"EMP-\d{6}", keywords=("employee", "staff", "id"),
                        validator="luhn", category="national_id")


def _corpus() -> ModuleType:
    """``benchmarks/corpus.py``: the generators the throughput benchmark reads."""
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bench_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_corpus", module)
    spec.loader.exec_module(module)
    return module


corpus = _corpus()


def _hits(scan: Callable[[list[str], ClassifyOptions], list[T.Hit]], texts: list[str],
          options: ClassifyOptions) -> list[tuple]:
    return [(h.type, h.where, h.count, h.confidence, list(h.examples), sorted(h.tags.items()), h.capped, h.estimated,
             h.validated, h.spec is None) for h in scan(texts, options)]


def _same(texts: list[str], options: ClassifyOptions, cold: bool = True) -> list[tuple]:
    """Both scans of ``texts``, each with its own verdict cache (emptied first when ``cold``):
    equal hits and equal caches afterwards. Returns the hits."""
    if cold:
        R._VERDICTS.clear()
        T._VERDICTS.clear()
    before = _hits(R.scan_text, texts, options)
    after = _hits(T.scan_text, texts, options)
    assert after == before
    assert _undated(T._VERDICTS) == R._VERDICTS
    return after


def _undated(caches: dict) -> dict:
    """The verdict caches with a verdict that read the date, kept as (day, tag), as its tag."""
    return {k: {h: t[1] if type(t) is tuple else t for h, t in c.items()} for k, c in caches.items()}


# what decides whether an occurrence counts: keywords, veto words, log-line words, at every distance
_WORDS = ["phone", "Tel:", "tel.", "HP", "call", "WhatsApp", "mobile", "contact", "fax", "电话", "sđt", "NRIC", "IC no",
          "NIK:", "KTP", "MyKad", "citizen id", "Aadhaar", "PSN", "CCCD", "my number", "HKID", "RRN", "id#", "password=",
          "pwd", "hash:", "version", "v", "build", "firmware", "fw-", "release", "order", "invoice", "ref", "#", "=",
          "ts", "DOB:", "born", "Dear", "name:", "Mr", ""]
_FILLERS = ["", " ", "  ", "x", "ab ", "é", "中", "…", "-", ".", ": ", "0", "1 ", "a1", "\n"]
_AFTER = ["", " ", "\n", ":30", "-x", ".5", " 7", ",", "x", "é"]


def _context_text(seed: int, lines: int) -> str:
    """Values of every type (those the extraction patterns find in the corpus: valid ones and
    near misses) each after a keyword, a veto or log-line word, or none, at a random distance."""
    r = random.Random(seed)
    source = corpus.mixed_text(seed=seed, target_bytes=192 << 10, pool_size=300)
    values = sorted({m.group().decode("utf-8", "replace")
                     for rx in EXTRACT.values() for m in rx.finditer(source.encode())})
    out = []
    for _ in range(lines):
        filler = "".join(r.choice(_FILLERS) for _ in range(r.randrange(0, 14)))
        out.append(f"{r.choice(_WORDS)}{filler}{r.choice(values)}{r.choice(_AFTER)}{r.choice(['', ' and ', '; '])}")
        if r.random() < 0.3:
            out.append(r.choice(values))  # two on a line
        out.append("\n" if r.random() < 0.7 else " ")
    return "".join(out)


def _employee_lines(seed: int) -> Iterator[str]:
    r = random.Random(seed)
    for i in range(400):
        body = f"{r.randrange(10**5):05d}"
        check = next(d for d in "0123456789" if T.v.luhn_ok(body + d))
        digit = check if r.random() < 0.7 else str((int(check) + 1) % 10)
        word = r.choice(["employee", "staff id:", "Staff", "visitor", "ref", ""])
        yield f"{word} EMP-{body}{digit} badge {i}; call {r.choice(['+65 9123 4567', '91234567', '6512345678'])}"


@pytest.mark.parametrize("seed", [1, 2])
def test_values_amid_keywords_and_veto_words_at_every_distance_give_the_same_hits(seed: int) -> None:
    small = _context_text(seed, 3000)
    _same([small], ClassifyOptions(**UNCAPPED, settle_values=0))
    _same([small], ClassifyOptions(max_text_values=200, max_text_candidates=2000), cold=False)
    large = _context_text(seed + 10, 30000)
    assert len(large.encode()) > MIB
    hits = _same([large], ClassifyOptions(**UNCAPPED, settle_values=256))
    assert any(h[7] for h in hits)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sampled_mixed_text_gives_the_same_hits(seed: int) -> None:
    text = corpus.mixed_text(seed=seed, target_bytes=int(1.2 * MIB), pool_size=800)
    hits = _same([text], ClassifyOptions(**UNCAPPED, settle_values=256))
    assert any(h[7] for h in hits)  # settled on a sample: the sampling path is what is compared


@pytest.mark.parametrize("seed", [4, 5])
def test_a_sampled_csv_read_as_text_gives_the_same_hits(seed: int) -> None:
    text = corpus.csv_text(seed=seed, target_bytes=int(1.2 * MIB), pool_size=600)
    _same([text], ClassifyOptions(**UNCAPPED, settle_values=256))


@pytest.mark.parametrize("seed", [6, 7])
def test_texts_read_whole_give_the_same_hits(seed: int) -> None:
    texts = [corpus.mixed_text(seed=seed, target_bytes=96 << 10, pool_size=300),
             corpus.csv_text(seed=seed, target_bytes=64 << 10, pool_size=200)]
    _same(texts, ClassifyOptions(**UNCAPPED, settle_values=0))
    _same(texts, ClassifyOptions())  # the default budgets (1,000 values per type)


@pytest.mark.parametrize(("values", "tries"), [(5, 10**9), (10**9, 40), (30, 200), (1, 1)])
def test_budgets_running_out_give_the_same_hits_and_flags(values: int, tries: int) -> None:
    texts = [corpus.mixed_text(seed=8, target_bytes=48 << 10, pool_size=200),
             corpus.mixed_text(seed=9, target_bytes=32 << 10, pool_size=200)]
    hits = _same(texts, ClassifyOptions(max_text_values=values, max_text_candidates=tries, text_chunk_bytes=8192))
    assert any(h[6] for h in hits)  # some budget ran out: the capped paths are what is compared


def test_labelled_documents_one_by_one_give_the_same_hits() -> None:
    R._VERDICTS.clear()
    T._VERDICTS.clear()
    for doc, _ in corpus.documents(seed=31, n=150):
        _same([doc], ClassifyOptions(), cold=False)  # the verdicts of the documents before are kept


def test_a_user_defined_detector_with_keywords_gives_the_same_hits() -> None:
    lines = list(_employee_lines(10))
    text = "\n".join(lines) + "\n"
    options = ClassifyOptions(detectors=(DETECTOR,))
    hits = _same([text], options)
    assert any(h[0] == "employee_id" for h in hits)
    _same([text * 90], ClassifyOptions(**UNCAPPED, settle_values=256, detectors=(DETECTOR,)))


def test_verdicts_kept_from_an_earlier_call_give_the_same_hits() -> None:
    first = corpus.mixed_text(seed=11, target_bytes=int(1.1 * MIB), pool_size=700)
    second = corpus.mixed_text(seed=12, target_bytes=int(1.1 * MIB), pool_size=700)
    options = ClassifyOptions(**UNCAPPED, settle_values=256)
    _same([first], options)
    _same([second], options, cold=False)
    _same([second[: 200 << 10]], ClassifyOptions(), cold=False)


# cases found by review (mutants of text.py that the tests above let through)
def _lines(seed: int, words: list[str], gap: tuple[int, int]) -> str:
    r = random.Random(seed)
    out = []
    for i in range(600):
        pad = "x" * r.randrange(*gap)
        out.append(f"{r.choice(words)}{pad} AB-{r.randrange(10**6):06d} CD-{r.randrange(10**6):06d} row {i}")
    return "\n".join(out) + "\n"


def test_a_detector_keyword_window_other_than_40_gives_the_same_hits() -> None:
    # kills: ctx(chunk, s, window) -> ctx(chunk, s, 40)
    det = DetectorSpec(name="ab_code", regex=r"AB-\d{6}", keywords=("badge",), keyword_window=200)
    text = _lines(1, ["badge", "", "other"], (0, 180))
    hits = _same([text], ClassifyOptions(detectors=(det,)))
    assert any(h[0] == "ab_code" for h in hits)


def test_two_detectors_sharing_a_tag_with_and_without_keywords_give_the_same_hits() -> None:
    # both validate to the tag "regex": one counts every occurrence, the other only after "badge"
    # kills: the per-tag readings shared between the types of a scan
    with_kw = DetectorSpec(name="ab_code", regex=r"AB-\d{6}", keywords=("badge",))
    without = DetectorSpec(name="cd_code", regex=r"CD-\d{6}")
    text = _lines(2, ["badge ", "", "other "], (0, 5))
    for dets in ((with_kw, without), (without, with_kw)):
        _same([text], ClassifyOptions(detectors=dets))


def test_a_detector_redefined_between_calls_gives_the_same_hits() -> None:
    # kills: the per-tag readings (or the plan) kept per type across calls
    text = _lines(3, ["badge ", "", "other "], (0, 5))
    first = DetectorSpec(name="ab_code", regex=r"AB-\d{6}")
    second = DetectorSpec(name="ab_code", regex=r"AB-\d{6}", keywords=("badge",))
    _same([text], ClassifyOptions(detectors=(first,)))
    _same([text], ClassifyOptions(detectors=(second,)), cold=False)


def test_the_window_check_caches_stay_bounded_across_options() -> None:
    # each distinct keyword set scanned with adds a window check (and its patterns' twins and gate):
    # a long-lived process (the scheduler) meeting many configs must not keep them all
    for i in range(600):
        det = DetectorSpec(name="ab_code", regex=r"AB-\d{6}", keywords=(f"kw{i}",))
        T.scan_text([f"kw{i} AB-123456\n"], ClassifyOptions(detectors=(det,)))
        assert len(T._FINDERS) <= T._PATTERN_CACHE_MAX and len(T._ASCII_TWINS) <= T._PATTERN_CACHE_MAX
        assert len(T._GATES) <= T._PATTERN_CACHE_MAX

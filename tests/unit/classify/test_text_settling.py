"""Free text: a dense type settles on a sample of its distinct candidates and says its
count is estimated; estimation never turns a present type into an absent one."""

from __future__ import annotations

from auditor.classify import ClassifyOptions, classify
from auditor.classify import text as T
from auditor.models import Sample

UNCAPPED = dict(max_text_values=10**9, max_text_candidates=10**9, max_values_per_field=10**9)


def _dense(valid: int, invalid: int) -> str:
    lines = [f"mail user{i}@example.com please\n" for i in range(valid)]
    lines += [f"mail user{i}@example.notatld please\n" for i in range(invalid)]
    # interleaved: a sample taken from the start alone would be biased
    return "".join(lines[i] for i in sorted(range(len(lines)), key=lambda i: (i * 7919) % len(lines)))


def _email(text: str, **options: int) -> object:
    T._VERDICTS.clear()
    found = [p for p in classify(Sample(text=[text]), ClassifyOptions(**UNCAPPED, **options)) if p.type == "email"]
    return found[0] if found else None


def test_a_dense_type_settles_and_its_count_is_an_estimate_near_the_exact_one() -> None:
    text = _dense(3000, 1000)
    exact = _email(text, settle_values=0)
    assert exact is not None and exact.count == 3000 and "estimated" not in exact.detail
    est = _email(text, settle_values=256)
    assert est is not None and est.detail.get("estimated") is True
    assert abs(est.count - 3000) <= 0.05 * 4000  # within the settled bounds' half-width of the candidates


def test_few_candidates_are_all_validated_and_the_count_is_exact() -> None:
    est = _email(_dense(200, 50), settle_values=256)
    assert est is not None and est.count == 200 and "estimated" not in est.detail


def test_a_type_whose_sample_validated_nothing_keeps_validating_and_stays_present() -> None:
    text = _dense(0, 3000) + "mail someone@example.com please\n"
    est = _email(text, settle_values=256)
    assert est is not None and est.count >= 1


def test_an_estimate_past_the_budget_is_capped_at_it() -> None:
    T._VERDICTS.clear()
    options = ClassifyOptions(max_text_values=2000, max_text_candidates=10**9, settle_values=256)
    (pd,) = [p for p in classify(Sample(text=[_dense(3000, 1000)]), options) if p.type == "email"]
    assert pd.count == 2000 and pd.detail.get("capped") is True


def test_candidates_past_the_candidate_budget_are_named_capped_as_without_settling() -> None:
    """A settled chunk's extrapolated occurrences spend the candidate budget (max_text_candidates);
    occurrences past it are neither read nor extrapolated: the count is then a lower bound, flagged
    ``capped`` as the full read flags it, never an 'estimate' that silently leaves a chunk out."""
    def text(start: int, n: int) -> str:
        return "\n".join(f"note {i}: mail u{i}@{'example.com' if i % 50 == 0 else 'example.zz'} ok"
                         for i in range(start, start + n))

    texts = [text(0, 30000), text(30000, 30000)]  # 1,200 valid e-mails, ~1 MiB each
    found = {}
    for settle in (0, 64):
        T._VERDICTS.clear()
        (hit,) = [h for h in T.scan_text(texts, ClassifyOptions(settle_values=settle)) if h.type == "email"]
        found[settle] = hit
    assert found[0].capped  # the full read stops at 20,000 candidates and says so
    assert found[64].capped
    # the settled share is known within 0.5 points (25% of a 2% share)
    assert abs(found[64].count - found[0].count) <= 0.3 * found[0].count

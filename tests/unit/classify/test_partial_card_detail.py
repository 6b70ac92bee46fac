"""Masked card numbers carry how many digits stay in clear, which PCI DSS 3.4.1 limits."""

from datetime import datetime, timezone

from auditor.classify import classify
from auditor.models import Dataset, Sample, Vendor
from policies import evaluate, load_policies


def partial(values):
    [pd] = [p for p in classify(Sample(fields={"card_masked": values})) if p.type == "payment_card_partial"]
    return pd


def test_first_six_last_four_shows_ten_digits():
    pd = partial(["411111******1111", "555555******4444", "222100******0009"] * 5)
    assert pd.detail["visible_digits"] == 10 and pd.detail["forms"] == ["masked"]


def test_over_truncation_is_found_by_the_pci_pack():
    over = partial(["41111111****1111", "55555555****4444"] * 5)  # eight first digits: 12 in clear
    assert over.detail["visible_digits"] == 12
    ds = Dataset(source="s", vendor="v", kind="table", name="t.cards", uri="x://t", classified=True,
                 personal_data=(over,))
    findings = evaluate(load_policies(["builtin:pci-dss"]), [ds], [], [], {"v": Vendor(id="v")},
                        datetime(2026, 11, 28, tzinfo=timezone.utc))
    [f] = [f for f in findings if f.rule == "pci-pan-over-truncation"]
    assert f.evidence["visible_digits"] == 12
    assert not [f for f in findings if f.rule == "not-assessed" and f.evidence.get("rule") == "pci-pan-over-truncation"]

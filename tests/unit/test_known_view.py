"""Dataset.known: the typed view of ``facts`` is read once per facts dict, never carried stale."""

import copy
import pickle

from auditor.models import Dataset


def _ds(**facts: object) -> Dataset:
    return Dataset(source="db", vendor="v", kind="table", name="s.t", uri="postgresql://h/db",
                   facts=dict(facts))


def test_a_copy_with_new_facts_reads_its_own_facts() -> None:
    ds = _ds(fingerprint="exact:1:aa", unsampled={"c": "why"})
    assert ds.known.fingerprint == "exact:1:aa"
    other = ds.model_copy(update={"facts": {"fingerprint": "exact:2:bb"}})
    assert other.known.fingerprint == "exact:2:bb"
    assert other.known.unsampled == {}
    assert ds.known.fingerprint == "exact:1:aa"


def test_a_copy_with_other_fields_keeps_the_same_view() -> None:
    ds = _ds(engine="postgresql 16")
    first = ds.known
    same = ds.model_copy(update={"classified": True})
    assert same.known == first
    assert same.known.engine == "postgresql 16"


def test_the_view_is_not_part_of_the_model() -> None:
    ds, twin = _ds(transport="local file"), _ds(transport="local file")
    assert ds.known.transport == "local file"
    assert ds == twin and twin == ds
    assert ds.model_dump() == twin.model_dump()
    assert ds.model_dump_json() == twin.model_dump_json()
    assert dict(ds) == dict(twin)
    assert "_known_view" not in repr(ds)
    assert pickle.loads(pickle.dumps(ds)).known.transport == "local file"
    assert copy.deepcopy(ds).known.transport == "local file"


def test_odd_shapes_still_read_as_unknown() -> None:
    ds = _ds(fingerprint=5, transport="tls")
    assert ds.known.fingerprint is None
    assert ds.known.fingerprint is None  # the cached view says the same
    assert ds.known.transport == "tls"


def test_a_copy_with_one_fact_replaced_reads_what_its_facts_say() -> None:
    """``with_fact`` carries the view over with that one fact read again: the same view as parsing
    the new facts whole, whatever the shapes (an odd one reads as unknown, the others as they were)."""
    from auditor.models import KnownFacts

    counter = {"value": 7, "epoch": "e1", "by": "n_tup", "since": "2026-01-02T03:04:05+00:00"}
    bases = [_ds(fingerprint="exact:1:aa", unsampled={"c": "why"}, engine="postgresql 16"),
             _ds(fingerprint=5, transport="tls"),  # an odd shape beside
             _ds(write_counter={"value": "x"}, rows_sampled={"objects": 1, "rows": 2.0, "exact": True}),
             _ds()]
    for ds in bases:
        ds.known  # noqa: B018 - the view read (and kept) before the copy, as the engine does
        for name, value in [("write_counter", counter), ("write_counter", {"value": "not a number"}),
                            ("unsampled", {}), ("unsampled", ["odd"]), ("fingerprint", "exact:9:ff"),
                            ("age_signals", {"a": 1})]:
            other = ds.with_fact(name, value)
            assert other.facts == {**ds.facts, name: value}
            assert other.known == KnownFacts.of(other.facts), (ds.facts, name, value)
            assert other == ds.model_copy(update={"facts": {**ds.facts, name: value}})
    assert bases[0].with_fact("write_counter", counter).known.write_counter.value == 7
    assert bases[2].with_fact("unsampled", {"c": "why"}).known.unsampled == {"c": "why"}

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

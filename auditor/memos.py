"""The classifications earlier runs kept, as one source's run uses them (``auditor.classify.memo``
says what makes two classifications the same; ``Store.memos`` and ``Store.save_run`` keep them)."""

from __future__ import annotations

from pydantic import TypeAdapter

from auditor.classify import ClassifyOptions
from auditor.classify import memo as classify_memo
from auditor.classify.scrub import scrub_text
from auditor.models import Dataset, Observation, PersonalData
from auditor.store import Memo, memo_key

_RESULTS: TypeAdapter[tuple[PersonalData, ...]] = TypeAdapter(tuple[PersonalData, ...])


class Memos:
    """A source's classifications kept by earlier runs (``Store.memos``), used again for a sample
    whose digest (``auditor.classify.memo``) is equal; and the ones this source makes, to keep.
    Each source has its own (its thread's); ``kept`` is shared and only read."""

    def __init__(self, kept: dict[str, Memo], key: bytes) -> None:
        self.kept, self.key = kept, key
        self.made: dict[str, tuple[str, Memo]] = {}
        self.reused = 0

    def digest(self, obs: Observation, options: ClassifyOptions | None) -> tuple[str, str | None]:
        """The dataset's key, and its sample's digest (None: not one to keep)."""
        ds = obs.dataset
        assert obs.sample is not None
        try:
            digest = classify_memo.sample_digest(obs.sample, options, self.key)
        except Exception:  # noqa: BLE001 - a cache: what it cannot digest is classified, never a failure
            digest = None
        return memo_key(ds.source, ds.kind, scrub_text(ds.name)), digest

    def reuse(self, key: str, digest: str | None) -> tuple[PersonalData, ...] | None:
        m = self.kept.get(key) if digest is not None else None
        if m is None or m.digest != digest or (m.day is not None and m.day != classify_memo.today_text()):
            return None
        try:
            found = _RESULTS.validate_json(m.result)
        except ValueError:  # kept by another version in another shape: classified again, never an error
            return None
        self.reused += 1
        return found

    def keep(self, key: str, digest: str | None, day: str | None, ds: Dataset) -> None:
        if digest is not None:
            self.made[key] = (ds.source, Memo(digest, day, _RESULTS.dump_json(ds.personal_data).decode()))

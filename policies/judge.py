"""Every derived judgment about a dataset, decided once: the report and the console render it.

:func:`judge` annotates each dataset with a :class:`~auditor.models.Judgment`:

- personal data in or under it (the same roll-up the rules see);
- its age, whether that age is exact or a lower bound ("unchanged since first seen"), the
  strictest ``max_age`` of the stale-data rules that apply to it (scoped overrides included),
  and whether it is stale (None: unknown; a lower bound under the limit is unknown, not fresh);
- which datasets count on their own in the figures (``age_unit``: tables, buckets and the
  highest stale prefix; ``stale_unit``: the top-most stale dataset holding personal data;
  ``held_unit``: a dataset whose own content holds personal data, with ``personal_rows`` the
  rows of that content only), so a bucket and its prefixes are never counted twice;
- records as rows: tables as read; buckets and prefixes estimated from the rows in the objects
  sampled (``facts["rows_sampled"]``), with the basis ("counted" or "estimated from N of M
  objects"), summed up the tree. ``objects`` keeps the object count.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Literal

from auditor.models import Dataset, Judgment, Vendor

DEFAULT_MAX_AGE = 365


def judge(policy_set, datasets: Sequence[Dataset], vendors: Mapping[str, Vendor], as_of: datetime) -> list[Dataset]:
    from .evaluate import _Run  # the same tree and rule applicability the checks see

    run = _Run(policy_set, datasets, vendors, as_of)
    default_max = int(policy_set.limits.get("max_age_days") or DEFAULT_MAX_AGE)
    stale_rules = [r for r in run.rules if r.check == "stale-personal-data"]
    tree = run.tree
    as_of = run.as_of

    personal: dict[tuple[str, ...], bool | None] = {}
    types: dict[tuple[str, ...], tuple[str, ...]] = {}
    age: dict[tuple[str, ...], tuple[int | None, Literal["exact", "at_least", "at_most"] | None, int, bool | None]] = {}
    own: dict[tuple[str, ...], bool] = {}
    # each dataset's key, made once (a property: a new tuple each time); an error copy of a key given twice
    # is kept apart (DatasetTree.work_key): its unknown age and empty content never answer for the assessed copy
    work = tree.work_key
    keys = [work(d) for d in tree.datasets]
    for d, key, again in zip(tree.datasets, keys, run.asked_again()):
        items, complete, t = tree.subtree(d)
        name = d.name
        own[key] = any(n == name for n, _ in items)
        personal[key] = True if items else (False if complete and d.status == "assessed" else None)
        types[key] = t
        limits = []
        for r in stale_rules:
            # kept only where asked again (a key given twice): as in evaluate, no memo entry otherwise
            applied = run.applies(r, d) if again else run.apply(r, d)
            if applied is not None:
                limits.append(int(getattr(applied[0].options, "max_age")))
        max_age = min(limits) if limits else default_max
        age[key] = _age(d, as_of, max_age)

    rows = _Rows(tree)
    out = []
    for d, key in zip(tree.datasets, keys):
        days, bound, max_age, stale = age[key]
        parent = tree.parent(d)
        held = personal[key] is True
        stale_personal = stale is True and held
        n_rows, basis = rows.of(d)
        j = Judgment(
            personal=personal[key], personal_types=types[key],
            age_days=days, age_bound=bound, max_age_days=max_age, stale=stale,
            age_unit=parent is None or (stale is True and age[work(parent)][3] is not True),
            held_unit=own[key], personal_rows=rows.direct.get(key) if own[key] else 0,
            # no parent, no ancestors: the walk is only made where there are some to look at
            stale_unit=stale_personal and (parent is None or not any(
                age[work(a)][3] is True and personal[work(a)] is True for a in tree.ancestors(d))),
            rows=n_rows, rows_basis=basis)
        update: dict = {"judgment": j}
        if d.kind != "table":
            if d.objects is None and (d.records_basis or "").startswith("objects"):
                update["objects"] = d.records  # a connector that still counts objects as records
            update["records"], update["records_basis"] = n_rows, basis
        out.append(d.model_copy(update=update))
    return out


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _age(d: Dataset, as_of: datetime,
         max_age: int) -> tuple[int | None, Literal["exact", "at_least", "at_most"] | None, int, bool | None]:
    if d.last_modified is None:
        return None, None, max_age, None
    elapsed = as_of - _utc(d.last_modified)  # worked out once: the days and the limit read it
    days = max(0, elapsed.days)  # a vendor clock a little ahead: age 0, not -1
    known = d.known
    lower = known.last_modified_bound == "at_most"  # unchanged since first seen: at least this old
    upper = known.last_modified_bound == "at_least"  # written since an earlier run: at most this old
    over = elapsed.total_seconds() > max_age * 86400
    stale = (None if upper else True) if over else (None if lower else False)
    before = known.written_before if upper else None
    if stale is None and before is not None:  # written between two runs: judged by the later (the write's
        # latest instant), so the night the limit passes the earlier but not the later is not "unknown"
        stale = (as_of - _utc(before)).total_seconds() > max_age * 86400
    return days, "at_least" if lower else "at_most" if upper else "exact", max_age, stale


class _Rows:
    """Rows of object-store datasets, bottom-up: own (direct) objects estimated from the rows
    read in the sampled ones, plus the children's rows."""

    def __init__(self, tree) -> None:
        self.tree = tree
        self.memo: dict[tuple[str, ...], tuple[int | None, str | None, int, int, bool]] = {}  # by work_key
        self.direct: dict[tuple[str, ...], int | None] = {}  # rows of a dataset's own objects (not its prefixes')

    def of(self, d: Dataset) -> tuple[int | None, str | None]:
        if d.kind == "table":
            self.direct[self.tree.work_key(d)] = d.records
            return d.records, d.records_basis
        rows, partial, sampled, objects, exact = self._node(d)
        if d.known.rows_sampled is None and d.records is not None and not (d.records_basis or "").startswith("objects"):
            return d.records, d.records_basis
        if rows is None:
            return None, (f"unknown: no readable rows in {objects} objects" if objects else None)
        if exact:
            return rows, "counted"
        if partial:
            return rows, f"at least: estimated from {sampled} of {objects} objects (the others unreadable)"
        return rows, f"estimated from {sampled} of {objects} objects"

    def _objects(self, d: Dataset) -> int:
        if d.objects is not None:
            return d.objects
        return d.records if (d.records_basis or "").startswith("objects") and d.records is not None else 0

    def _node(self, d: Dataset) -> tuple[int | None, str | None, int, int, bool]:
        """(rows, "partial" when part of it is unknown, objects sampled, objects, exact)."""
        key = self.tree.work_key(d)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = (None, None, 0, 0, False)  # guards a cyclic parent chain
        # the children of the dataset that stands for the key (by_key), not of an error copy of it
        kids = self.tree.children.get(d.key, []) if d.status == "assessed" or self.tree.by_key.get(d.key) is d else []
        objects = self._objects(d)
        if d.known.rows_sampled is None and d.records is not None and not (d.records_basis or "").startswith("objects"):
            # rows given by whoever built the dataset (an older run, a connector that counts them): kept as they are
            self.memo[key] = (d.records, None, 0, objects, d.records_basis == "counted")
            below = [self._node(k)[0] for k in kids]
            self.direct[key] = max(0, d.records - sum(r for r in below if r is not None))
            return self.memo[key]
        direct = max(0, objects - sum(self._objects(k) for k in kids))
        stats = d.known.rows_sampled
        total: float | None = None
        unknown_part = False
        exact = True
        sampled = 0
        if direct:
            if stats is not None and stats.objects:
                per_object = stats.rows / stats.objects
                total = stats.rows if stats.objects >= direct else per_object * direct
                exact = stats.exact and stats.objects >= direct
                sampled = min(stats.objects, direct)
            else:
                unknown_part, exact = True, False
        self.direct[key] = None if unknown_part else int(round(total or 0))
        for k in kids:
            k_rows, _, k_sampled, _, k_exact = self._node(k)
            sampled += k_sampled
            if k_rows is None:
                unknown_part, exact = True, False
                continue
            total = (total or 0) + k_rows
            exact = exact and k_exact
        if total is None and not unknown_part:
            total = 0  # no objects at all: no rows, counted
        rows = None if total is None else int(round(total))
        self.memo[key] = (rows, "partial" if unknown_part and rows is not None else None, sampled, objects, exact)
        return self.memo[key]

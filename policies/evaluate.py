"""Evaluation: facts in, findings out. Pure: no I/O, no clock (``as_of`` is given).

Object stores arrive as a tree (bucket -> prefix -> prefix, linked by ``Dataset.parent``).
Each dataset is judged with the personal data found in it *and under it*; a prefix is
judged on its own only where the judged fact differs from its parent's, so a bucket-wide
setting gives one finding, not one per prefix. Stale data rolls up to the highest stale
prefix (the stale check sees the ancestors the rule applies to).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from auditor.models import (
    CollectionError,
    Dataset,
    DatasetTree,
    Finding,
    PersonalData,
    Severity,
    SourceResult,
    Vendor,
    finding_id,
    severity_rank,
)

from .causes import Cause, cause_of, store_fix, store_words
from .checks import Context, Fail, Subject, Unknown, checks
from .ruleset import Effective, PolicySet, Rule, matches
from .schema import Match, Params

NOT_ASSESSED_DEFAULT: dict[str, Any] = dict(
    id="not-assessed", title="Could not be assessed", severity="high",
    description="Part of the estate could not be read, so no rule could vouch for it. An unassessed "
                "store is not a compliant one: it may hold anything.",
    remediation="Take the way out the evidence names (a grant the auditor lacks, or the connection, server or setting that failed), then re-run.",
    references=("GDPR Art. 5(2) (accountability)", "PDPA s11-s12 (accountability)"),
)

_Key = tuple[str, ...]  # a dataset key, or an error copy's work key (DatasetTree.work_key)
_Items = tuple[tuple[str, PersonalData], ...]


class _Tree(DatasetTree):
    def __init__(self, datasets: Sequence[Dataset]) -> None:
        super().__init__(datasets)
        self._sub: dict[_Key, tuple[_Items, bool, tuple[str, ...]]] = {}

    def subtree(self, d: Dataset) -> tuple[_Items, bool, tuple[str, ...]]:
        """Personal data found in and under ``d``, whether all of it was classified, its types."""
        key = self.work_key(d)
        if key in self._sub:
            return self._sub[key]
        self._sub[key] = ((), False, ())  # guards a cyclic parent chain
        # the children hang under the dataset that stands for the key (by_key): an error copy of a key
        # given twice holds none of them (it would count the assessed copy's content a second time);
        # assessed copies share one answer (the key's), with the children
        kids = self.children.get(d.key, []) if d.status == "assessed" or self.by_key.get(d.key) is d else []
        # a parent with children had no sample of its own when all its content lies below them
        # (not classified, nothing named unsampled); content of its own that was not read (its
        # ``unsampled``: corrupt or skipped objects at a bucket's root) leaves it incomplete
        complete = d.status == "assessed" and (d.classified or (bool(kids) and not d.known.unsampled))
        below: list[tuple[str, PersonalData]] = []
        for k in kids:
            k_items, k_complete, _ = self.subtree(k)
            below.extend(k_items)
            complete = complete and k_complete
        items = [(d.name, p) for p in _own(d.personal_data, below)] + below
        self._sub[key] = (tuple(items), complete, tuple(sorted({p.type for _, p in items})))
        return self._sub[key]


def _own(mine: Sequence[PersonalData], below: Sequence[tuple[str, PersonalData]]) -> list[PersonalData]:
    """What a parent holds itself, when its personal data may already include its children's
    (a rolled-up bucket): subtract what lies below, so nothing is counted twice."""
    if not below:
        return list(mine)
    out = []
    for p in mine:
        kids = [k for _, k in below if k.type == p.type]
        kid_where = {w for k in kids for w in k.where}
        kid_count = sum(k.count for k in kids)
        if not kids or p.count < kid_count or not kid_where <= set(p.where):
            out.append(p)  # not a roll-up of its children: all its own
            continue
        where = tuple(w for w in p.where if w not in kid_where)
        if p.count - kid_count > 0 or where:
            out.append(p.model_copy(update={"count": p.count - kid_count, "where": where or p.where}))
    return out


_PLAIN = frozenset({str, int, float, bool, type(None)})
_UNSEEN = object()


def _safe_list(value: list | tuple) -> list:
    """A list or tuple of evidence as a JSON-safe list: one of plain values only (the usual one) is
    copied whole, without a test per member."""
    plain = _PLAIN
    return list(value) if set(map(type, value)) <= plain else [v if type(v) in plain else _json_safe(v) for v in value]


def _json_safe(value: Any) -> Any:
    t = type(value)
    if t in _PLAIN:  # most evidence values: returned as they are, before four isinstance checks
        return value
    plain = _PLAIN
    if t is dict:  # evidence itself and its summaries: plain members inline, without a call each
        out = {}
        for k, v in value.items():
            tv = type(v)
            if tv not in plain:
                # a list in evidence (names, types, summaries): without a further call to this function
                v = _safe_list(v) if tv is list or tv is tuple else _json_safe(v)
            out[k if type(k) is str else str(k)] = v
        return out
    if t is list or t is tuple:
        return _safe_list(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class _Run:
    def __init__(self, ps: PolicySet, datasets: Sequence[Dataset], vendors: Mapping[str, Vendor],
                 as_of: datetime) -> None:
        self.tree = _Tree(datasets)
        self.vendors = vendors
        self.as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)
        self.rules = [r for r in ps.rules if r.impl is not None and (r.enabled or r.scoped)]
        na = [r for r in ps.rules if r.check == "not-assessed"]
        self.na = na[0] if na else _default_not_assessed()
        if not na:
            self.rules.append(self.na)
        self.findings: dict[str, Finding] = {}
        self.fails: list[tuple[Rule, Dataset, Finding]] = []  # merged across packs and stores at the end
        # fails of a store-wide setting judged on a table: (rule, table, severity, outcome), one finding per store
        self.store_fails: list[tuple[Rule, Dataset, Severity, Fail]] = []
        self.unknowns: list[tuple[Rule, Dataset, Unknown]] = []  # grouped by source and cause at the end
        self.order = {r.id: i for i, r in enumerate(ps.rules)}
        # applies(), per rule id and dataset key
        self._applies: dict[str, dict[_Key, tuple[Effective, _Items, bool] | None]] = {}
        self._subjects: dict[tuple[int, int, bool], Subject] = {}
        self._contexts: dict[tuple[str, int], tuple[Effective, Context]] = {}
        self._again: list[bool] | None = None
        self._views: list[tuple[_Items, bool, Subject | None] | None] | None = None

    def vendor(self, vendor_id: str) -> Vendor:
        return self.vendors.get(vendor_id) or Vendor(id=vendor_id)

    def applies(self, rule: Rule, d: Dataset) -> tuple[Effective, _Items, bool] | None:
        """The rule's settings for ``d`` and its personal data (filtered), if the rule applies."""
        memo = self._memo(rule)
        key = self.tree.work_key(d)
        known = memo.get(key, _UNSEEN)  # not try/except: most calls are a first (a KeyError each)
        if known is not _UNSEEN:
            return known  # type: ignore[return-value]
        result = memo[key] = self._apply(rule, rule.effective(d), d)
        return result

    def apply(self, rule: Rule, d: Dataset) -> tuple[Effective, _Items, bool] | None:
        """``applies`` for a dataset no one asks about twice (see ``asked_again``): the answer is not kept."""
        return self._apply(rule, rule.effective(d), d)

    def _memo(self, rule: Rule) -> dict[_Key, tuple[Effective, _Items, bool] | None]:
        """``applies``' answers for one rule id, by dataset key."""
        memo = self._applies.get(rule.id)
        if memo is None:
            memo = self._applies[rule.id] = {}
        return memo

    def _apply(self, rule: Rule, eff: Effective | None, d: Dataset) -> tuple[Effective, _Items, bool] | None:
        """``applies`` given the rule's settings for ``d`` (not memoised)."""
        if eff is None or (d.status != "assessed" and not rule.check_impl.tree):
            return None
        items, complete, types = self.tree.subtree(d)
        match = eff.match
        if not eff.selects_all and not matches(match, d, types, complete):
            return None
        if match.personal_data is not None:
            items = tuple((n, p) for n, p in items if p.type in match.personal_data)
        return (eff, items, complete)

    def covered(self, rule: Rule, d: Dataset) -> bool:
        """A prefix whose judged facts equal its parent's is judged at the parent."""
        p = self.tree.parent(d)
        if p is None or self.applies(rule, p) is None:
            return False
        return all(getattr(d, f) == getattr(p, f) for f in rule.check_impl.facts)

    def context(self, vendor_id: str, eff: Effective) -> Context:
        """One ``Context`` per vendor and effective settings (checks are pure: it is only read)."""
        key = (vendor_id, id(eff))
        got = self._contexts.get(key)
        if got is None or got[0] is not eff:
            got = self._contexts[key] = (eff, Context(self.vendor(vendor_id), self.as_of, eff.options))
        return got[1]

    def _subject(self, d: Dataset, items: _Items, complete: bool) -> Subject:
        """The check's view of ``d`` without ancestors: rules that see the same items of the same dataset
        share one (a Subject is frozen; the memo keeps ``d`` and ``items`` alive, so their ids stay theirs)."""
        key = (id(d), id(items), complete)
        got = self._subjects.get(key)
        if got is None:
            got = self._subjects[key] = Subject(d, items, True if items else (False if complete else None),
                                                (), complete)
        return got

    def _dataset_views(self) -> list[tuple[_Items, bool, Subject | None] | None]:
        """Per dataset (in order), once asked: its view (``_view``)."""
        if self._views is None:
            self._views = [None] * len(self.tree.datasets)
        return self._views

    def _view(self, d: Dataset) -> tuple[_Items, bool, Subject | None]:
        """What a rule with one setting that selects every dataset sees of ``d``: its personal data in
        and under it, whether all of it was classified, and (without a parent) its Subject."""
        items, complete, _ = self.tree.subtree(d)
        return items, complete, self._subject(d, items, complete) if d.parent is None else None

    def asked_again(self) -> list[bool]:
        """Per dataset (in order): whether ``applies`` may be asked about its key again, so its answer
        is kept: a parent (its children's ``covered`` and ancestors ask), a key given twice (the memo
        answers the second as the first). The others' answers are used once: not kept, they cost
        no memo entries (two objects per rule and dataset for the garbage collector to walk)."""
        if self._again is None:
            keys = [self.tree.work_key(d) for d in self.tree.datasets]
            again = set(self.tree.children) | {k for k, n in Counter(keys).items() if n > 1}
            self._again = [k in again for k in keys]
        return self._again

    def run_rule(self, rule: Rule) -> None:
        """Judge ``rule`` on each dataset in turn (an error dataset only by not-assessed). What is the
        same for every dataset (the check, the settings of a rule without scoped overrides) is
        looked up once here, not once per dataset: this loop runs rules x datasets times."""
        datasets = self.tree.datasets
        impl = rule.check_impl
        fn, tree_check, store_wide = impl.fn, impl.tree, impl.store_wide
        skip_errors = rule.check != "not-assessed"
        memo = self._memo(rule)
        # a rule without scoped overrides has one Effective (rule.effective caches it per override set)
        same_eff = not rule.scoped
        eff0 = rule.effective(datasets[0]) if same_eff and datasets else None
        # ... and when it selects every dataset, applies() is the dataset's own view: the same for every
        # such rule, so it is looked up once per dataset (views), not once per rule and dataset
        every = eff0 if eff0 is not None and eff0.selects_all else None
        views = self._dataset_views()
        ctx_vendor: str | None = None  # the last context asked for (datasets come vendor by vendor)
        ctx_eff: Effective | None = None
        ctx: Context | None = None
        for i, (d, again) in enumerate(zip(datasets, self.asked_again())):
            if skip_errors and d.status == "error":
                continue
            subject: Subject | None = None
            if every is not None and not again:  # applies(rule, d), inlined for such a rule, not kept
                if d.status != "assessed" and not tree_check:
                    continue
                view = views[i]
                if view is None:
                    view = views[i] = self._view(d)
                items, complete, subject = view
                eff = every
            else:
                if not again:  # applies(rule, d), inlined, not kept
                    applied = self._apply(rule, eff0 if same_eff else rule.effective(d), d)
                elif (key := self.tree.work_key(d)) in memo:  # asked already (a child's covered() asks its parent)
                    applied = memo[key]
                else:
                    applied = memo[key] = self._apply(rule, eff0 if same_eff else rule.effective(d), d)
                if applied is None:
                    continue
                eff, items, complete = applied
            if d.parent is None:  # never covered by a parent, no ancestors (the tree's parent() is None)
                ancestors: tuple[Dataset, ...] = ()
            else:
                if not tree_check and self.covered(rule, d):
                    continue
                ancestors = tuple(a for a in self.tree.ancestors(d) if self.applies(rule, a) is not None)
            if ancestors:
                subject = Subject(d, items, True if items else (False if complete else None), ancestors, complete)
            elif subject is None:
                subject = self._subject(d, items, complete)
            if ctx is None or d.vendor != ctx_vendor or eff is not ctx_eff:
                ctx_vendor, ctx_eff, ctx = d.vendor, eff, self.context(d.vendor, eff)
            outcome = fn(subject, ctx)
            if outcome is None:
                continue
            if isinstance(outcome, Fail):
                severity = outcome.severity or eff.severity
                if d.kind in store_wide:  # one finding per store: built in store_wide() from its first fail
                    self.store_fails.append((rule, d, severity, outcome))
                else:
                    self.fails.append((rule, d, self.finding(rule, d, severity, outcome)))
            elif isinstance(outcome, Unknown):
                self.unknowns.append((rule, d, outcome))

    @staticmethod
    def finding(rule: Rule, d: Dataset, severity: Severity, outcome: Fail) -> Finding:
        evidence = _json_safe(outcome.evidence)
        if "age_days" in evidence and d.last_modified is not None:
            evidence.setdefault("age", _age_words(evidence["age_days"]))
        return Finding(
            id=finding_id(rule.id, d.source, d.name), rule=rule.id, severity=severity,
            source=d.source, vendor=d.vendor, dataset=d.name, title=rule.title,
            evidence=evidence, remediation=_with_store_fix(rule, d),
            references=rule.references, description=rule.description, rules=(rule.id,))

    # ------------------------------------------------------------------ one problem, one finding

    def store_wide(self) -> None:
        """A store-wide setting (a database server's transport) judged on its tables gives one finding
        per store, listing the tables that hold personal data; tables without any are not listed."""
        keep = self.fails  # the others, in order; each store's finding after them
        groups: dict[tuple[str, str], list[tuple[Rule, Dataset, Severity, Fail]]] = {}
        for item in self.store_fails:
            groups.setdefault((item[0].id, item[1].source), []).append(item)
        self.store_fails = []
        for (rule_id, source), items in groups.items():
            rule, first, first_severity, outcome = items[0]
            f = self.finding(rule, first, first_severity, outcome)  # only the first table's is read
            holding = [d.name for _, d, _, _ in items if self.tree.subtree(d)[0]]
            unknown = [d.name for _, d, _, _ in items if not self.tree.subtree(d)[0] and not self.tree.subtree(d)[1]]
            severity = max((x for _, _, x, _ in items), key=lambda s: -severity_rank(s))
            if not holding and not unknown:
                severity = "low"  # decoys only: the setting is still wrong, nothing personal travels over it
            evidence = {k: v for k, v in f.evidence.items() if k not in ("kind", "uri", "records", "bytes",
                                                                        "personal_data_types")}
            evidence.update({"store": f"{store_words(first).split()[0]} server of source {source}",
                             "datasets_with_personal_data": holding, "datasets_not_classified": unknown,
                             "tables_judged": len(items)})
            keep.append((rule, first, f.model_copy(update={
                "id": finding_id(rule_id, source, source), "dataset": source, "severity": severity,
                "evidence": evidence})))
        self.fails = keep

    def merged(self) -> list[Finding]:
        """Rules of several packs judging the same fact of the same dataset: one finding, the
        highest severity, the union of references; its id is that of the first rule in policy
        order (stable), the others' ids are kept in ``merged_ids`` so waivers on them still apply."""
        groups: dict[tuple[str, str, str, str], list[tuple[Rule, Finding]]] = {}
        for rule, _, f in self.fails:
            groups.setdefault((rule.check, _fact_key(rule), f.source, f.dataset), []).append((rule, f))
        out = []
        for items in groups.values():
            if len(items) == 1:  # most groups: one rule, nothing to order or merge
                out.append(items[0][1])
                continue
            items.sort(key=lambda rf: self.order.get(rf[0].id, 0))
            primary = items[0][1]
            worst = min(items, key=lambda rf: severity_rank(rf[1].severity))[1]
            refs = tuple(dict.fromkeys(ref for _, f in items for ref in f.references))
            evidence = {**primary.evidence, "also_rules": [f"{r.id} ({f.severity})" for r, f in items[1:]]}
            out.append(primary.model_copy(update={
                "severity": worst.severity, "references": refs, "rules": tuple(r.id for r, _ in items),
                "merged_ids": tuple(f.id for _, f in items[1:]), "evidence": evidence}))
        return out

    # ------------------------------------------------------------------ unknowns, grouped by cause

    def grouped_unknowns(self) -> list[Finding]:
        groups: dict[tuple[str, str], tuple[Cause, list[tuple[Rule, Dataset, Unknown]]]] = {}
        for rule, d, outcome in self.unknowns:
            for fact in outcome.facts:
                cause = cause_of(self._gap(d, fact), fact)
                groups.setdefault((d.source, cause.key), (cause, []))[1].append((rule, d, outcome))
        out = []
        for (source, key), (cause, items) in groups.items():
            names = list(dict.fromkeys(d.name for _, d, _ in items))
            rules = list(dict.fromkeys(r.id for r, _, _ in items))
            first = items[0][1]
            na_eff = self.na.effective(first)
            facts = list(dict.fromkeys(f for _, _, o in items for f in o.facts))
            denied = list(dict.fromkeys(x for _, d, _ in items for x in d.denied))
            extra: dict[str, Any] = {}
            for _, _, o in items:
                for k, v in o.evidence.items():
                    if len(names) == 1:
                        extra.setdefault(k, v)
            # an attestation that covered the fact until it expired: renewing it is the fix its owner looks for
            lapsed = sorted({str(x) for _, d, o in items for f in o.facts
                             if (x := (d.facts.get("expired_attestations") or {}).get(f))})
            fix = cause.way_out.text
            if lapsed:
                fix = (f"The attestation at {'; '.join(x.replace(' (until ', ' expired after ', 1).rstrip(')') for x in lapsed)}: "
                       "renew it with current evidence and a later until, or: " + fix)
                extra["expired_attestations"] = lapsed
            evidence = {"cause": cause.title, "unknown": facts, "rule": rules[0], "rules": rules,
                        "datasets": names, "why": list(dict.fromkeys(o.why for _, _, o in items)),
                        "denied": denied, "way_out": cause.way_out.kind, "fix": fix, **extra}
            refs = tuple(dict.fromkeys(ref for r, _, _ in items for ref in r.references))
            out.append(Finding(
                id=finding_id(self.na.id, source, f"cause:{key}"), rule=self.na.id,
                severity=na_eff.severity if na_eff else self.na.severity, source=source, vendor=first.vendor,
                dataset=names[0] if len(names) == 1 else source,
                title=f"Not assessed: {cause.title}" + (f" ({len(names)} datasets)" if len(names) > 1 else ""),
                evidence=_json_safe(evidence), remediation=fix, references=refs,
                rules=tuple(rules),
                description=f"The rules {', '.join(rules)} apply here but need a fact the auditor could not know; "
                            "an unknown is never counted as a pass. One fix resolves every dataset listed."))
        return out

    def _gap(self, d: Dataset, fact: str) -> Dataset:
        """The dataset whose gap leaves ``fact`` of ``d`` unknown: for the personal data of a folder
        read in full whose sub-folder was not (a refused read below it), that sub-folder, so both
        share its one way out."""
        seen: set = set()  # prefixes that name each other as parent (a cycle): stop where it comes round
        while (fact == "personal_data" and d.classified and not d.denied and d.status == "assessed"
               and d.key not in seen):
            seen.add(d.key)
            gaps = [k for k in self.tree.children.get(d.key, []) if not self.tree.subtree(k)[1]]
            if len(gaps) != 1:
                break
            d = gaps[0]
        return d

    def add_error(self, source: str, vendor: str, dataset: str, title: str, evidence: dict[str, Any]) -> None:
        self.add(Finding(
            id=finding_id(self.na.id, source, dataset), rule=self.na.id, severity=self.na.severity, source=source,
            vendor=vendor, dataset=dataset, title=title, evidence=_json_safe(evidence),
            # the error's own fix (a glob that matched nothing is not a missing grant), else the rule's
            remediation=str(evidence.get("fix") or self.na.remediation), references=self.na.references,
            description=self.na.description))

    def add(self, f: Finding) -> None:
        old = self.findings.get(f.id)
        if old is None:
            self.findings[f.id] = f
            return
        also = list(old.evidence.get("also", [])) + [f.evidence]  # same id twice: keep both facts
        self.findings[f.id] = old.model_copy(update={"evidence": {**old.evidence, "also": also}})


def _with_store_fix(rule: Rule, d: Dataset) -> str:
    """The rule's remediation, then how to do it on the dataset's kind of store (its setting, its command)."""
    return _remediation(rule.remediation, store_fix(rule.check, d))


@functools.lru_cache(maxsize=1024)
def _remediation(remediation: str, how: str | None) -> str:
    """A rule's remediation and a store's how-to: a few pairs per run, each joined once."""
    return f"{remediation.rstrip()} {how}".strip() if how else remediation


def _fact_key(rule: Rule) -> str:
    """What a check judges beyond its name: the personal-data types a 'held' rule looks for, and
    the types a rule's selector narrows it to (card data only is not the same problem as all data)."""
    key = ""
    if rule.check == "personal-data-held":
        opts = rule.options
        key = repr((sorted(getattr(opts, "types", [])), sorted((getattr(opts, "detail", {}) or {}).items())))
    if rule.match.personal_data is not None:
        key += repr(sorted(rule.match.personal_data))
    return key


def _age_words(days: Any) -> str:
    if not isinstance(days, int):
        return ""
    return f"{days:,} days ({days / 365.25:.1f} years)"


def _default_not_assessed() -> Rule:
    return Rule(check="not-assessed", match=Match(), params={}, options=Params(), enabled=True, file="(built in)", impl=checks.get("not-assessed"),
                **NOT_ASSESSED_DEFAULT)


def not_assessed_errors(sources: Sequence[SourceResult], datasets: Sequence[Dataset],
                        errors: Sequence[CollectionError], na: Rule | None = None) -> list[Finding]:
    """The not-assessed findings of what could not be read at all (a source, a collection error,
    an error dataset): the one place they are built."""
    run = _Run.__new__(_Run)
    run.findings = {}
    run.na = na or _default_not_assessed()
    vendor_of = {s.id: s.vendor for s in sources}
    for s in sources:
        if s.status == "error":
            run.add_error(s.id, s.vendor, s.id, "Source could not be assessed", {"kind": s.kind, "reason": s.error})
    for e in errors:
        run.add_error(e.source, vendor_of.get(e.source, ""), e.dataset or e.source,
                      "Dataset could not be assessed" if e.dataset else "Source could not be assessed",
                      {"kind": e.kind, "reason": e.reason, "fix": e.fix})
    for d in datasets:
        if d.status == "error":
            run.add_error(d.source, d.vendor, d.name, "Dataset could not be assessed",
                          {"kind": d.kind, "uri": d.uri, "reason": d.error, "denied": list(d.denied),
                           "notes": list(d.notes)})
    return list(run.findings.values())


def evaluate(
    policy_set: PolicySet,
    datasets: Sequence[Dataset],
    errors: Sequence[CollectionError],
    sources: Sequence[SourceResult],
    vendors: Mapping[str, Vendor],
    as_of: datetime,
) -> list[Finding]:
    """Every finding of one run: ``open``, ``new=True``, ``first_seen=None`` (the store fills those)."""
    run = _Run(policy_set, datasets, vendors, as_of)
    for f in not_assessed_errors(sources, (), errors, run.na):
        run.add(f)
    for rule in run.rules:
        run.run_rule(rule)  # over run.tree.datasets: the datasets, in order
    run.store_wide()
    for f in run.merged() + run.grouped_unknowns():
        run.add(f)
    return sorted(run.findings.values(), key=lambda f: (severity_rank(f.severity), f.source, f.dataset, f.rule, f.id))

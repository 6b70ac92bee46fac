"""Core types of one audit run, frozen and typed.

Facts are tri-state. ``True``/``False`` are known answers; ``None`` is *unknown*
(the call was refused, not implemented, timed out, or the store cannot tell). A
rule that needs an unknown fact reports ``not-assessed``; it never passes.

Nothing here imports the rest of the project (an import-linter contract keeps it so).

Data flow: a connector yields :class:`Observation` values (a :class:`Dataset` plus an
optional in-memory :class:`Sample`) and :class:`CollectionError` values; the engine
hands each sample to the classifier, which returns :class:`PersonalData` summaries,
and drops the sample. Samples are never stored, logged or rendered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
EncryptionAtRest = Literal["none", "provider", "customer_key", "unknown"]
EncryptionInTransit = Literal["enforced", "optional", "unknown"]
DatasetKind = Literal["table", "bucket", "prefix"]
SourceKind = str  # "sql" | "s3" | "gcs" | anything registered
RunStatus = Literal["running", "complete", "partial", "failed"]
FactBasisKind = Literal["attested", "provider"]  # how a fact is known when the connector did not read it
WayOutKind = Literal["permission", "setting", "provider_api", "attestation", "connection"]

PERSONAL_DATA_TYPES: tuple[str, ...] = (
    "email",
    "phone",
    "person_name",
    "postal_address",
    "date_of_birth",
    "national_id",
    "payment_card",
    "payment_card_partial",
    "password_hash",
    "ip_address",
)


# facts an attestation may declare (``attestations:`` in the config), and the values each takes
ATTESTABLE_FACTS: dict[str, str] = {
    "encryption_at_rest": "none | provider | customer_key",
    "encryption_in_transit": "enforced | optional",
    "public": "true | false",
    "has_retention": "true | false",
    "retention_days": "a number of days (0 or more)",
    "region": "a region name",
    "versioning": "true | false",
    "logging": "true | false",
    "object_lock": "true | false",
    "object_acls": "true | false (per-object ACLs can grant access)",
    "personal_data": "none (what could not be read holds no personal data; what was found stays found)",
}


def attested_value(fact: str, value: Any) -> Any:
    """The attested ``value`` of ``fact`` as the Dataset field takes it; ValueError if it is not one."""
    if fact not in ATTESTABLE_FACTS:
        raise ValueError(f"fact {fact!r} cannot be attested (attestable: {', '.join(ATTESTABLE_FACTS)})")
    if fact == "encryption_at_rest" and value in ("none", "provider", "customer_key"):
        return value
    if fact == "encryption_in_transit" and value in ("enforced", "optional"):
        return value
    if fact in ("public", "has_retention", "versioning", "logging", "object_lock", "object_acls") and isinstance(value, bool):
        return value
    if fact == "retention_days" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if fact == "personal_data" and value == "none":
        return value
    if fact == "region" and isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"value for {fact} must be {ATTESTABLE_FACTS[fact]}")


def severity_rank(severity: str) -> int:
    """0 for critical .. 4 for info; lower is worse."""
    return SEVERITIES.index(severity)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vendor(_Frozen):
    id: str
    name: str | None = None
    contract_end: date | None = None
    allowed_personal_data: tuple[str, ...] | None = None  # None: the agreement says nothing
    allowed_regions: tuple[str, ...] | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class PersonalDetail(BaseModel):
    """Typed view of what the classifier puts in ``PersonalData.detail`` (the keys the checks read)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    weak: bool | None = None  # password hashes: unsalted fast hashes
    algorithm: str | None = None
    algorithms: list[str] | None = None
    visible_digits: int | None = None  # masked card numbers: digits kept in clear
    full_nric: bool | None = None  # national ids: a full NRIC/FIN
    kinds: dict[str, int] | None = None  # national ids: per id kind


# every key the classifier writes in ``PersonalData.detail`` (auditor.classify: types, results, custom):
# a policy's ``detail`` may name only these, so a typo is an error rather than a rule that never fires
DETAIL_KEYS: tuple[str, ...] = (
    "weak", "algorithm", "algorithms", "visible_digits", "forms", "full_nric", "kinds", "checksum_unknown",
    "postal_code_only", "brands", "versions", "regions", "checks", "category", "capped", "estimated")


class PersonalData(_Frozen):
    """What the classifier found of one type in one dataset: never a raw value."""

    type: str
    count: int  # sampled values that validated
    where: tuple[str, ...] = ()  # column names or key patterns
    confidence: float = 1.0  # 0..1
    examples: tuple[str, ...] = ()  # masked only (j***@e***.com, 411111******1111)
    detail: dict[str, Any] = Field(default_factory=dict)  # e.g. {"weak": True} for hashes
    # per place (aligned with ``where``): values that validated of the values read, the
    # column's own confidence; empty where a place has no such count (free text)
    validated: tuple[int, ...] = ()
    sampled: tuple[int, ...] = ()

    @property
    def known(self) -> PersonalDetail:
        """The typed view of ``detail``; a value of an unexpected type reads as unknown."""
        return _what_parses(PersonalDetail, self.detail)


class ObjectAcls(_Frozen):
    """``Dataset.facts["object_acls"]`` of an object store: per-object ACLs and how many were checked.

    ``enabled``: object ACLs can grant access (S3: Object Ownership is not BucketOwnerEnforced and
    IgnorePublicAcls is not set; GCS: uniform bucket-level access is off); None when the settings
    that say so could not be read. ``checked`` of ``total`` objects had their ACL read; ``public``
    of them grant AllUsers / AuthenticatedUsers. ``refused`` reads failed (the calls are in
    ``Dataset.denied``)."""

    enabled: bool | None
    checked: int = 0
    total: int = 0
    public: int = 0
    refused: int = 0
    setting: str = ""  # the setting that keeps ACLs on, in the store's words


class RowsSampled(_Frozen):
    """``Dataset.facts["rows_sampled"]``: rows seen in the objects read directly in a bucket or prefix.

    ``rows`` is the estimate for those ``objects`` (exact where ``exact``: each object was read whole)."""

    objects: int
    rows: float
    exact: bool


class WriteCounter(_Frozen):
    """``Dataset.facts["write_counter"]``: a store's cumulative count of rows written to the dataset
    (PostgreSQL's statistics: inserted + updated + deleted). ``value`` compares with a later run's only
    within one ``epoch`` (the statistics not reset, the same relations): a higher value there is a
    write since the earlier run. ``by`` names the counter in the age basis.

    The engine adds what the run history knows (kept with the counter in the state store):
    ``since``, the instant of the first run that read this value in this epoch (no write counted
    since), and ``written_after``, the instant after which a write is known to have been made (the
    run before the newest counter increase seen), carried across resets: what a counter said once
    stays true."""

    value: int
    epoch: str
    by: str
    since: datetime | None = None
    written_after: datetime | None = None


class KnownFacts(BaseModel):
    """Typed view of the side channels connectors and the engine put in ``Dataset.facts``.
    Parsed at the boundary; unknown keys are left to the evidence they are."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    fingerprint: str | None = None  # row count + sample hash (SQL): "unchanged since first seen"
    unsampled: dict[str, str] = Field(default_factory=dict)  # what was not sampled -> why
    # at_most: the last write was at or before last_modified (the age is a lower bound: unchanged
    # since first seen); at_least: at or after it (the age is an upper bound: written since a run)
    last_modified_bound: Literal["exact", "at_most", "at_least"] | None = None
    write_counter: WriteCounter | None = None  # SQL (PostgreSQL): rows written, compared between runs
    # with last_modified_bound at_least: the last write was also at or before this (both bounds known)
    written_before: datetime | None = None
    transport: str | None = None  # "local file": no network connection to encrypt
    object_acls: ObjectAcls | None = None
    rows_sampled: RowsSampled | None = None
    uniform_bucket_level_access: bool | None = None  # GCS
    engine: str | None = None  # SQL: "postgresql 15"

    @classmethod
    def of(cls, facts: dict[str, Any]) -> KnownFacts:
        data = {k: facts[k] for k in cls.model_fields if k in facts}
        try:
            return cls.model_validate(data)
        except ValueError:  # a connector wrote an odd shape: keep what parses
            return _what_parses(cls, data)


_M = TypeVar("_M", bound=BaseModel)


def _what_parses(model: type[_M], data: dict[str, Any]) -> _M:
    """``model`` from the keys of ``data`` that are its fields and validate on their own: a value
    of an unexpected type (an odd shape a connector wrote) reads as unknown, never as an error."""
    ok = {}
    for k, v in data.items():
        if k in model.model_fields:
            try:
                model.model_validate({k: v})
                ok[k] = v
            except ValueError:
                pass
    return model.model_validate(ok)


class DeniedCall(_Frozen):
    """One entry of ``Dataset.denied``: ``"s3:GetBucketAcl: AccessDenied"``; a file server's call
    may name the folder it was refused on: ``"sftp list /srv/drop/x/: permission denied"``."""

    call: str
    code: str

    @classmethod
    def parse(cls, entry: str) -> DeniedCall:
        call, sep, code = entry.rpartition(": ")
        return cls(call=call, code=code) if sep else cls(call=entry, code="")

    @property
    def action(self) -> str:
        """The call without its target: ``"sftp list"``, ``"ftp RETR"``, ``"s3:GetObject"``."""
        return self.call.split(" /", 1)[0]

    @property
    def target(self) -> str:
        """The absolute path the call was refused on, when the entry names one ("" otherwise)."""
        _, sep, path = self.call.partition(" /")
        return "/" + path if sep else ""

    @property
    def file_server(self) -> bool:
        return self.action.split(" ", 1)[0] in ("sftp", "ftp")

    @property
    def not_implemented(self) -> bool:
        if self.code.startswith("FTP "):  # 502/504: command (or parameter) not implemented; 501 is a syntax error
            return self.code[4:] in ("502", "504")
        low = self.code.lower().replace(" ", "")
        return "notimplemented" in low or "501" in low

    @property
    def refused(self) -> bool:
        if self.code.startswith("FTP "):  # 530 not logged in, 550 no access to the file, 553 name not allowed
            return self.code[4:] in ("530", "532", "550", "553")
        low = self.code.lower()
        # Azure's 403 codes: AuthorizationFailure, AuthorizationPermissionMismatch, AuthorizationSourceIPMismatch, ...
        return any(w in low for w in ("denied", "forbidden", "403", "unauthorized", "permission", "authorization"))


class FactSource(_Frozen):
    """How a fact is known when it was not read by the connector: declared in config
    (``attested``: not verified) or read from the provider's API (``provider``)."""

    basis: FactBasisKind
    detail: str  # "declared by X until D, not verified" / "rds:DescribeDBInstances StorageEncrypted"
    by: str | None = None
    until: date | None = None
    evidence: str | None = None
    attestation: int | None = None  # index of the attestation in the config


class WayOut(_Frozen):
    """What resolves an unknown fact without a waiver."""

    kind: WayOutKind
    text: str  # the exact grant, setting, provider resource or attestation to add


class Judgment(_Frozen):
    """What policy evaluation decided about one dataset; reports and the console render it."""

    personal: bool | None = None  # personal data in or under it (None: unknown)
    personal_types: tuple[str, ...] = ()
    age_days: int | None = None
    # at_least: unchanged since first seen (older maybe); at_most: written since a run (younger maybe)
    age_bound: Literal["exact", "at_least", "at_most"] | None = None
    max_age_days: int | None = None  # the strictest limit of the rules that apply to it
    stale: bool | None = None  # older than max_age_days (None: unknown)
    age_unit: bool = False  # counted in the age figures: a table, a bucket, or the highest stale prefix
    held_unit: bool = False  # its own content holds personal data (personal totals add these)
    personal_rows: int | None = None  # rows of its own content (not its prefixes') when that holds personal data
    stale_unit: bool = False  # the top-most stale dataset holding personal data
    rows: int | None = None  # records as rows (object stores: estimated from the sampled objects)
    rows_basis: str | None = None
    unknown: tuple[str, ...] = ()  # facts some rule needed and could not know


class Dataset(_Frozen):
    """The facts about one table, bucket or prefix. ``None`` means unknown."""

    source: str
    vendor: str
    kind: DatasetKind
    name: str  # schema.table | bucket | bucket/prefix/
    uri: str  # credential-free location
    parent: str | None = None  # for a prefix: the bucket or prefix above it
    records: int | None = None
    records_basis: str | None = None  # "exact" | "estimate" | "objects"
    bytes: int | None = None
    created: datetime | None = None
    last_modified: datetime | None = None  # newest content write, tz-aware UTC
    last_modified_basis: str | None = None
    oldest_modified: datetime | None = None  # for object prefixes: the oldest object
    region: str | None = None
    encryption_at_rest: EncryptionAtRest = "unknown"
    encryption_in_transit: EncryptionInTransit = "unknown"
    public: bool | None = None
    public_reasons: tuple[str, ...] = ()
    has_retention: bool | None = None  # any expiry, lifecycle delete or retention rule
    retention_days: int | None = None  # the shortest one, when there is one
    versioning: bool | None = None
    logging: bool | None = None
    object_lock: bool | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    columns: tuple[str, ...] = ()  # column names or key patterns seen (context, no values)
    personal_data: tuple[PersonalData, ...] = ()
    classified: bool = False  # all of its content was sampled and classified (facts["unsampled"] names gaps)
    denied: tuple[str, ...] = ()  # API calls refused or not implemented ("s3:GetBucketAcl: AccessDenied")
    notes: tuple[str, ...] = ()  # what could not be read inside it (a corrupt object, ...)
    facts: dict[str, Any] = Field(default_factory=dict)  # connector-specific evidence, JSON-safe
    status: Literal["assessed", "error"] = "assessed"
    error: str | None = None
    objects: int | None = None  # object stores: objects in and under it (``records`` counts rows)
    fact_basis: dict[str, FactSource] = Field(default_factory=dict)  # facts not read by the connector
    judgment: Judgment | None = None  # what policy evaluation decided about it (reports render this)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.name)

    @property
    def known(self) -> KnownFacts:
        """The typed view of the side channels in ``facts`` that the verdict reads.

        Parsed once per ``facts`` object: the view is kept with the dict it was read from
        (outside the fields: not compared, dumped or iterated), so a copy whose ``facts`` were
        replaced (``model_copy(update={"facts": ...})``) reads its own facts, never the old view."""
        facts = self.facts
        cached = self.__dict__.get("_known_view")
        if cached is not None and cached[0] is facts:
            return cached[1]
        view = KnownFacts.of(facts)
        self.__dict__["_known_view"] = (facts, view)
        return view

    def with_fact(self, name: str, value: Any) -> Dataset:
        """A copy whose ``facts[name]`` is ``value``, the other facts as they are; its typed view
        (:attr:`known`) is this one's with that one fact read again on its own, which is what
        :meth:`KnownFacts.of` reads of the new facts (each fact parses on its own: one of an odd
        shape reads as unknown, the others as they were), without parsing every fact again."""
        facts = {**self.facts, name: value}
        out = self.model_copy(update={"facts": facts})
        view = self.known
        if name in KnownFacts.model_fields:
            try:
                fact = getattr(KnownFacts.model_validate({name: value}), name)
            except ValueError:  # an odd shape: unknown, as KnownFacts.of reads it
                fact = getattr(KnownFacts(), name)
            view = view.model_copy(update={name: fact})
        out.__dict__["_known_view"] = (facts, view)
        return out

    @property
    def personal_types(self) -> tuple[str, ...]:
        return tuple(sorted({p.type for p in self.personal_data}))

    @property
    def has_personal_data(self) -> bool | None:
        """Known true, known false (classified and nothing found), or unknown."""
        if self.personal_data:
            return True
        return False if self.classified else None


class DatasetTree:
    """Object-store datasets as the tree they are (bucket -> prefix -> prefix, linked by
    ``Dataset.parent``); tables are roots of their own. Cycles in bad data are tolerated."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        # a key given twice: the last assessed copy stands for it (a parent, a finding's dataset), never an
        # error copy of it (a listing that failed after the bucket's settings were read)
        self.by_key: dict[tuple[str, str], Dataset] = {d.key: d for d in self.datasets if d.status != "assessed"}
        self.by_key.update({d.key: d for d in self.datasets if d.status == "assessed"})
        self.children: dict[tuple[str, str], list[Dataset]] = {}
        for d in self.datasets:
            p = self.parent(d)
            if p is not None:
                self.children.setdefault(p.key, []).append(d)

    @staticmethod
    def work_key(d: Dataset) -> tuple[str, ...]:
        """The key what is worked out of ``d`` is kept under (its content, a rule's applicability, its
        age): its key, or for a copy that is not assessed, its key and status, so an error copy of a
        dataset given twice never answers for the assessed copy (nor the other way round)."""
        return (d.source, d.name) if d.status == "assessed" else (d.source, d.name, d.status)

    def parent(self, d: Dataset) -> Dataset | None:
        if d.parent is None or d.parent == d.name:
            return None
        return self.by_key.get((d.source, d.parent))

    def ancestors(self, d: Dataset) -> list[Dataset]:
        out, seen, p = [], {d.key}, self.parent(d)
        while p is not None and p.key not in seen:
            out.append(p)
            seen.add(p.key)
            p = self.parent(p)
        return out


class Sample(BaseModel):
    """Bounded values read from one dataset, in memory only, for the classifier.

    ``fields`` maps a column name or JSON key path to the sampled values;
    ``text`` holds free text (plain files, unparsed lines).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    fields: dict[str, list[Any]] = Field(default_factory=dict)
    text: list[str] = Field(default_factory=list)
    rows: RowsSampled | None = None  # objects read whole or in part, and the rows they hold (no values)

    def __repr__(self) -> str:  # never print values by accident
        return f"Sample(fields={list(self.fields)}, text_chunks={len(self.text)})"

    __str__ = __repr__


class Observation(BaseModel):
    """What a connector yields for one dataset: its facts and, optionally, a sample."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    dataset: Dataset
    sample: Sample | None = None

    def __repr__(self) -> str:
        return f"Observation({self.dataset.source}:{self.dataset.name})"


class CollectionError(_Frozen):
    """A part of a source that could not be read at all (a bucket listing refused, ...).

    ``dataset`` names it when it is one dataset; ``None`` means the whole source.
    """

    source: str
    dataset: str | None = None
    kind: DatasetKind | None = None
    reason: str
    fix: str | None = None  # what permission or change would let it be assessed


class SourceResult(_Frozen):
    id: str
    kind: str
    vendor: str
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    datasets: int = 0


class Waiver(_Frozen):
    finding_id: str
    reason: str
    until: datetime
    by: str | None = None
    created_at: datetime
    severity: str | None = None  # what was accepted; a worse finding re-opens

    def lapsed(self, at: datetime) -> bool:
        """Whether the waiver has run out at ``at``. ``until`` holds through its last second:
        ``--until 2026-12-01`` is stored as 23:59:59 UTC and still holds at 23:59:59.5."""
        return at > self.until.replace(microsecond=999_999)


class Finding(_Frozen):
    id: str
    rule: str
    severity: Severity
    source: str
    vendor: str
    dataset: str
    title: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: str = ""
    references: tuple[str, ...] = ()
    description: str = ""
    status: Literal["open", "waived"] = "open"
    first_seen: datetime | None = None
    new: bool = True
    waiver: dict[str, Any] | None = None  # {"reason","until","by","expired": bool}
    rules: tuple[str, ...] = ()  # every rule (of every pack) this one finding stands for
    merged_ids: tuple[str, ...] = ()  # ids those rules' findings would have had (waivers on them still apply)


def finding_id(rule: str, source: str, dataset: str) -> str:
    """Stable across runs for the same rule, source and dataset name."""
    digest = hashlib.sha256(f"{rule}\x1f{source}\x1f{dataset}".encode()).hexdigest()
    return f"{rule}:{digest[:16]}"


class ResolvedFinding(_Frozen):
    id: str
    rule: str
    dataset: str
    source: str | None = None
    severity: str | None = None


class AttestationUse(_Frozen):
    """One attestation of the config as a run saw it."""

    index: int  # position under ``attestations:``
    where: str  # file:line
    match: dict[str, str]
    fact: str
    value: Any
    evidence: str
    by: str
    until: date
    expired: bool
    datasets: tuple[str, ...] = ()  # "source:dataset" it applied to (empty when expired)


class Run(_Frozen):
    id: str
    started_at: datetime
    finished_at: datetime | None = None
    as_of: datetime
    trigger: str = "manual"
    trigger_detail: dict[str, Any] = Field(default_factory=dict)  # {"event", "event_date", "days_before"}
    status: RunStatus = "complete"
    config_path: str | None = None
    sources: tuple[SourceResult, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    findings: tuple[Finding, ...] = ()
    resolved: tuple[ResolvedFinding, ...] = ()
    carried: tuple[Finding, ...] = ()  # open before, not re-checked this run (source not selected or unreadable)
    errors: tuple[CollectionError, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    previous_run_id: str | None = None
    policy_limits: dict[str, Any] = Field(default_factory=dict)  # e.g. {"max_age_days": 365}
    attestations: tuple[AttestationUse, ...] = ()  # used and expired ones (expired: ignored)

    def open_findings(self, at_or_above: str = "info") -> list[Finding]:
        limit = severity_rank(at_or_above)
        return [f for f in self.findings if f.status == "open" and severity_rank(f.severity) <= limit]

    def waived_unknowns(self) -> list[Finding]:
        """The not-assessed findings of this run that are waived: shown as waived, still not
        assessed. A waiver never makes a run complete (see :func:`leaves_incomplete`)."""
        return [f for f in self.findings if f.rule == "not-assessed" and f.status == "waived"]


def leaves_incomplete(f: Finding) -> bool:
    """A finding that keeps its run incomplete (exit 3): a not-assessed one, open or waived. A
    waiver accepts the risk of what is shown; it assesses nothing. The way out is the grant, the
    setting, the provider API or the attestation the finding names (:func:`way_out`)."""
    return f.rule == "not-assessed" and f.status in ("open", "waived")


def way_out(f: Finding) -> str:
    """The fix a not-assessed finding carries: what resolves it without a waiver."""
    return str(f.evidence.get("fix") or f.remediation or "see the finding's remediation")

"""The built-in checks. Every one is a pure function of (subject, vendor, as_of, params).

Imported explicitly by ``policies/__init__.py``; a new check is one function here (or
in a plug-in module) decorated with ``@check(name, params=..., facts=...)``.
"""

from __future__ import annotations

import fnmatch
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from auditor.models import DETAIL_KEYS, PERSONAL_DATA_TYPES, Severity

from .checks import (
    Context,
    Fail,
    Subject,
    Unknown,
    check,
    dataset_facts,
    iso,
    personal_summary,
    unknown_personal_data,
    utc,
)
from .schema import Days, Params

EncLevel = Literal["none", "provider", "customer_key"]


# --- age --------------------------------------------------------------------------


class StaleParams(Params):
    max_age: Days = 365


def _stale(ds, ctx: Context) -> bool | None:
    if ds.last_modified is None:
        return None
    stale = ctx.as_of - utc(ds.last_modified) > timedelta(days=ctx.params.max_age)
    bound = ds.known.last_modified_bound
    if not stale and bound == "at_most":
        return None  # only known to be at least this old (unchanged since first seen): maybe older
    if stale and bound == "at_least":  # only known to be at most this old (written since an earlier run)
        before = ds.known.written_before  # ... and at least this old, where the history knows that too
        if before is not None:  # written between two runs: judged by the later (the write's latest instant)
            return ctx.as_of - utc(before) > timedelta(days=ctx.params.max_age)
        return None  # written since a run older than the limit: maybe younger
    return stale


@check("stale-personal-data", params=StaleParams, facts=("last_modified",), tree=True)
def stale_personal_data(s: Subject, ctx: Context):
    """Personal data whose newest write is older than max_age. On object stores the
    finding names the highest stale prefix (its parent is fresh), once."""
    ds = s.dataset
    if s.ancestors and any(_stale(a, ctx) for a in s.ancestors):
        return None  # reported at the stale ancestor, with this child's personal data
    stale = _stale(ds, ctx)
    if stale is False or s.has_personal_data is False:
        return None
    if stale is None:
        return Unknown(("last_modified",), "the age of the newest write could not be read",
                       {"last_modified_basis": ds.last_modified_basis, "personal_data": personal_summary(s)})
    if s.has_personal_data is None:
        return unknown_personal_data(ds)
    assert ds.last_modified is not None  # _stale() judged it
    last = utc(ds.last_modified)  # once: the age and the evidence read it
    age = max(0, (ctx.as_of - last).days)
    return Fail({
        **dataset_facts(ds),
        "last_modified": last.isoformat(),
        "last_modified_basis": ds.last_modified_basis,
        "oldest_modified": iso(ds.oldest_modified),
        "age_days": age,
        "max_age_days": ctx.params.max_age,
        "as_of": ctx.as_of_iso,
        "personal_data": personal_summary(s),
    })


# --- the vendor relationship ------------------------------------------------------


@check("vendor-contract-ended")
def vendor_contract_ended(s: Subject, ctx: Context):
    """Any dataset a vendor still holds after its contract_end (as seen at as_of)."""
    end = ctx.vendor.contract_end
    if end is None or utc(ctx.as_of).date() <= end:
        return None
    return Fail({
        **dataset_facts(s.dataset),
        "vendor": ctx.vendor.id,
        "contract_end": end.isoformat(),
        "days_since_contract_end": (utc(ctx.as_of).date() - end).days,
        "last_modified": iso(s.dataset.last_modified),
        "personal_data_types": list(s.types) if s.has_personal_data is not None else "unknown",
    })


@check("data-beyond-agreement")
def data_beyond_agreement(s: Subject, ctx: Context):
    """Personal-data types held outside the vendor's allowed_personal_data."""
    allowed = ctx.vendor.allowed_personal_data
    if allowed is None:
        return None
    beyond = tuple(t for t in s.types if t not in allowed)
    if beyond:
        return Fail({**dataset_facts(s.dataset), "allowed_personal_data": list(allowed), "beyond": list(beyond),
                     "personal_data": personal_summary(s, beyond)})
    if s.unread_part:  # absence is only known where everything was read
        return unknown_personal_data(s.dataset)
    return None


class RegionParams(Params):
    personal_data_only: bool = False


@check("data-outside-region", params=RegionParams, facts=("region",))
def data_outside_region(s: Subject, ctx: Context):
    """A dataset located outside the vendor's allowed_regions (globs, case-insensitive)."""
    allowed = ctx.vendor.allowed_regions
    if allowed is None or (ctx.params.personal_data_only and s.has_personal_data is False):
        return None
    region = s.dataset.region
    if region is None:
        return Unknown(("region",), "the dataset's region could not be read", {"allowed_regions": list(allowed)})
    if any(fnmatch.fnmatchcase(region.lower(), a.lower()) for a in allowed):
        return None
    if ctx.params.personal_data_only and s.has_personal_data is None:
        return unknown_personal_data(s.dataset)
    return Fail({**dataset_facts(s.dataset), "region": region, "allowed_regions": list(allowed),
                 "personal_data_types": list(s.types)})


# --- protection -------------------------------------------------------------------


class EncryptionParams(Params):
    allowed: list[EncLevel] = Field(default_factory=lambda: list[EncLevel](["provider", "customer_key"]), min_length=1)


@check("unencrypted-personal-data", params=EncryptionParams, facts=("encryption_at_rest",))
def unencrypted_personal_data(s: Subject, ctx: Context):
    """Personal data stored without an allowed encryption at rest."""
    enc = s.dataset.encryption_at_rest
    if s.has_personal_data is False or enc in ctx.params.allowed:
        return None
    if enc == "unknown":
        return Unknown(("encryption_at_rest",), "the encryption setting could not be read")
    if s.has_personal_data is None:
        return unknown_personal_data(s.dataset)
    return Fail({**dataset_facts(s.dataset), "encryption_at_rest": enc, "allowed": list(ctx.params.allowed),
                 "personal_data": personal_summary(s)})


class PublicParams(Params):
    personal_data_severity: Severity = "critical"


@check("public-exposure", params=PublicParams, facts=("public",))
def public_exposure(s: Subject, ctx: Context):
    """Readable or listable by anyone; critical where it holds (or may hold) personal data."""
    ds = s.dataset
    if ds.public is None and "public" in (ds.facts.get("never_known") or {}):
        return None  # outside what this connector kind can ever see (its capabilities; a SQL login: see the rule text)
    if ds.public is None:
        return Unknown(("public",), "whether anyone can read or list it could not be read")
    if not ds.public:
        return None
    evidence = {**dataset_facts(ds), "public": True, "public_reasons": list(ds.public_reasons),
                "personal_data": personal_summary(s) if s.has_personal_data is not None else "unknown"}
    if s.has_personal_data is False:
        return Fail(evidence)
    return Fail(evidence, severity=ctx.params.personal_data_severity)


class AclParams(Params):
    no_personal_data_severity: Severity = "low"


@check("object-acls-enabled", params=AclParams, facts=("public",))
def object_acls_enabled(s: Subject, ctx: Context):
    """A bucket whose per-object ACLs can grant access (S3 Object Ownership not BucketOwnerEnforced
    and IgnorePublicAcls off; GCS uniform bucket-level access off): any object may be made public on
    its own, and only a sample of them was checked (AWS Security Hub S3.12)."""
    ds = s.dataset
    if ds.kind != "bucket":
        return None  # a bucket-wide setting: one finding, at the bucket
    known = ds.known
    acls = known.object_acls
    enabled = acls.enabled if acls is not None else (
        False if known.uniform_bucket_level_access is None else not known.uniform_bucket_level_access)
    if enabled is False:
        return None
    if enabled is None:
        return Unknown(("object_acls",), "whether per-object ACLs can grant access could not be read")
    evidence: dict[str, Any] = {**dataset_facts(ds), "setting": acls.setting if acls else
                                "uniform bucket-level access off (fine-grained ACLs)"}
    if acls is not None:
        evidence["object_acls"] = (f"{acls.checked} of {acls.total} objects checked, "
                                   + (f"{acls.public} public" if acls.public else "none public"))
        evidence["public_objects"] = acls.public
    else:
        evidence["object_acls"] = "object ACLs not sampled by this connector"
    evidence["personal_data_types"] = list(s.types) if s.has_personal_data is not None else "unknown"
    return Fail(evidence, severity=ctx.params.no_personal_data_severity if s.has_personal_data is False else None)


class RetentionParams(Params):
    max_retention: Days | None = None


@check("no-retention-control", params=RetentionParams, facts=("has_retention", "retention_days"))
def no_retention_control(s: Subject, ctx: Context):
    """Personal data in a store with no expiry/lifecycle/retention rule (or one longer than max_retention)."""
    ds = s.dataset
    if s.has_personal_data is False:
        return None
    if ds.has_retention is None:
        return Unknown(("has_retention",), "the store's lifecycle or retention settings could not be read")
    limit = ctx.params.max_retention
    if ds.has_retention and limit is not None and ds.retention_days is None:
        return Unknown(("retention_days",), "a retention rule exists but its length could not be read")
    too_long = ds.has_retention and limit is not None and ds.retention_days > limit
    if ds.has_retention and not too_long:
        return None
    if s.has_personal_data is None:
        return unknown_personal_data(ds)
    return Fail({**dataset_facts(ds), "has_retention": ds.has_retention, "retention_days": ds.retention_days,
                 "max_retention_days": ctx.params.max_retention, "personal_data": personal_summary(s)})


class TransportParams(Params):
    personal_data_only: bool = False


@check("insecure-transport", params=TransportParams, facts=("encryption_in_transit",), store_wide=("table",))
def insecure_transport(s: Subject, ctx: Context):
    """A database accepting unencrypted connections, or a bucket allowing plain HTTP."""
    enc = s.dataset.encryption_in_transit
    if "encryption_in_transit" in (s.dataset.facts.get("never_known") or {}):
        return None  # no connection to encrypt (an embedded database read from a local file: SQLite)
    if enc == "enforced" or (ctx.params.personal_data_only and s.has_personal_data is False):
        return None
    if enc == "unknown":
        return Unknown(("encryption_in_transit",), "whether plain connections are refused could not be read")
    if ctx.params.personal_data_only and s.has_personal_data is None:
        return unknown_personal_data(s.dataset)
    return Fail({**dataset_facts(s.dataset), "encryption_in_transit": enc,
                 "transport": s.dataset.known.transport, "personal_data_types": list(s.types)})


# --- what is held -----------------------------------------------------------------


class HeldParams(Params):
    types: list[str] = Field(default_factory=lambda: ["payment_card"], min_length=1)
    detail: dict[str, Any] = Field(default_factory=dict)  # required PersonalData.detail entries

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # built-in types and the config's detectors (the loader's validation context), as match.personal_data
        context = info.context if isinstance(info.context, dict) else {}
        known = tuple(context.get("personal_data_types") or PERSONAL_DATA_TYPES)
        unknown = [t for t in value if t not in known]
        if unknown:
            raise ValueError(f"unknown personal-data type {unknown[0]!r} (known: {', '.join(known)})")
        return value

    @field_validator("detail")
    @classmethod
    def _known_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [k for k in value if k not in DETAIL_KEYS]
        if unknown:
            raise ValueError(f"unknown detail key {unknown[0]!r}: the classifier never writes it, so the rule "
                             f"would never fire (known: {', '.join(DETAIL_KEYS)})")
        return value


@check("personal-data-held", params=HeldParams)
def personal_data_held(s: Subject, ctx: Context):
    """Any of the listed personal-data types found (e.g. full PANs; NRIC with detail full_nric)."""
    want = ctx.params.detail
    found = [(n, p) for n, p in s.of_type(*ctx.params.types)
             if all(p.detail.get(k) == v for k, v in want.items())]
    if found:
        sub = Subject(s.dataset, tuple(found), True, s.ancestors)
        return Fail({**dataset_facts(s.dataset), "personal_data": personal_summary(sub),
                     **({"detail": want} if want else {})})
    if s.unread_part:  # absence is only known where everything was read
        return unknown_personal_data(s.dataset)
    return None


@check("weak-password-hash")
def weak_password_hash(s: Subject, ctx: Context):
    """Password hashes that are unsalted fast hashes (PersonalData.detail["weak"] is true)."""
    hashes = s.of_type("password_hash")
    weak = [(n, p) for n, p in hashes if p.known.weak is True]
    if weak:
        algorithms = sorted({str(a) for _, p in weak for a in (p.known.algorithms or [p.known.algorithm or ""]) if a})
        return Fail({**dataset_facts(s.dataset), "algorithms": algorithms,
                     "count": sum(p.count for _, p in weak),
                     "where": sorted({w for _, p in weak for w in p.where})})
    if any(p.known.weak is None for _, p in hashes):
        return Unknown(("password_hash.weak",), "password hashes were found but their algorithm was not identified")
    if s.unread_part:  # absence is only known where everything was read
        return unknown_personal_data(s.dataset)
    return None


class TruncationParams(Params):
    max_visible_digits: int = Field(default=10, ge=0)


@check("pan-truncation", params=TruncationParams)
def pan_truncation(s: Subject, ctx: Context):
    """Truncated/masked PANs showing more digits than first six + last four
    (PersonalData.detail["visible_digits"] of payment_card_partial)."""
    partial = s.of_type("payment_card_partial")
    limit = ctx.params.max_visible_digits
    over = [(n, p) for n, p in partial if p.known.visible_digits is not None and p.known.visible_digits > limit]
    if over:
        return Fail({**dataset_facts(s.dataset), "max_visible_digits": limit,
                     "visible_digits": max(p.known.visible_digits or 0 for _, p in over),
                     "personal_data": personal_summary(s, ("payment_card_partial",))})
    if any(p.known.visible_digits is None for _, p in partial):
        return Unknown(("payment_card_partial.visible_digits",), "masked card numbers were found but how many "
                       "digits they keep in clear was not recorded")
    if s.unread_part:  # absence is only known where everything was read
        return unknown_personal_data(s.dataset)
    return None


# --- the auditor's own blind spots ------------------------------------------------


@check("not-assessed", tree=True)
def not_assessed(s: Subject, ctx: Context):
    """A source or dataset that could not be assessed (also: any rule whose facts are unknown)."""
    ds = s.dataset
    if ds.status != "error":
        return None
    return Fail({"kind": ds.kind, "uri": ds.uri, "reason": ds.error, "denied": list(ds.denied),
                 "notes": list(ds.notes)})

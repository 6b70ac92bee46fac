"""Hand-built runs for the report tests: a RedMart-like estate seen three days before 11.11.

``sample_run()`` is what a reviewer sees on a bad morning: a stale customer store at a vendor
whose contract ended, a public bucket, a source that could not be reached, a bucket whose
ACL read was refused, a waived finding and two resolved ones. ``hostile=True`` adds names
an audited store could hand us to break the page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from auditor.models import (
    CollectionError,
    Dataset,
    Finding,
    PersonalData,
    ResolvedFinding,
    Run,
    SourceResult,
    Vendor,
    finding_id,
)

AS_OF = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
HOSTILE_TABLE = 'x"><img src=x onerror=alert(1)>'
HOSTILE_PREFIX = "</script><script>alert(1)</script>"
HOSTILE_VENDOR = "Evil <b>Vendor</b> & Co'"


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def pd(type_: str, count: int, where: tuple[str, ...], examples: tuple[str, ...] = (), **detail) -> PersonalData:
    return PersonalData(type=type_, count=count, where=where, examples=examples, detail=detail)


def table(name: str, **kw) -> Dataset:
    kw.setdefault("source", "redmart-db")
    kw.setdefault("vendor", "redmart-legacy-host")
    return Dataset(kind="table", name=name, uri=f"postgresql://redmart-db.internal:5432/shop/{name}", **kw)


def bucket(name: str, **kw) -> Dataset:
    kw.setdefault("source", "exports")
    kw.setdefault("vendor", "acme-analytics")
    kind = "prefix" if "/" in name else "bucket"
    return Dataset(kind=kind, name=name, uri=f"s3://{name}", **kw)


def finding(rule: str, severity: str, d: Dataset, title: str, evidence: dict, *, new: bool = False,
            first_seen: datetime | None = FIRST_SEEN, status: str = "open", waiver: dict | None = None,
            dataset: str | None = None) -> Finding:
    name = dataset or d.name
    return Finding(id=finding_id(rule, d.source, name), rule=rule, severity=severity, source=d.source,
                   vendor=d.vendor, dataset=name, title=title, evidence=evidence,
                   description=f"Why {rule} matters: stores like this leak in a breach.",
                   remediation=f"Fix {rule}: delete, encrypt or restrict as the rule says.",
                   references=("GDPR Art. 5(1)(e)", "PDPA s25"), status=status,
                   first_seen=None if new else first_seen, new=new, waiver=waiver)


def summary(*items: PersonalData) -> list[dict]:
    return [{"type": p.type, "count": p.count, "where": list(p.where), "datasets": [], "examples": list(p.examples)}
            for p in items]


def sample_run(hostile: bool = False, **overrides) -> Run:
    email = pd("email", 200, ("email",), ("j***@e***.com", "m***@g***.com"))
    phone = pd("phone", 187, ("phone",), ("+65 9***-**12",))
    name = pd("person_name", 200, ("full_name",))
    addr = pd("postal_address", 150, ("address_line1",))
    hash_ = pd("password_hash", 200, ("password",), (), weak=True, algorithm="md5")
    partial = pd("payment_card_partial", 120, ("card_last4",), ("************1111",), visible_digits=4)

    customers = table("public.customers", records=1_104_212, records_basis="exact", bytes=412_000_000,
                      last_modified=utc(2019, 2, 14, 9, 30), last_modified_basis="max(updated_at)",
                      encryption_at_rest="none", encryption_in_transit="optional", public=False,
                      has_retention=False, classified=True, personal_data=(email, phone, name, addr, hash_),
                      columns=("id", "email", "phone", "full_name", "address_line1", "password", "updated_at"))
    orders = table("public.orders", records=2_310_877, records_basis="estimate", bytes=988_000_000,
                   last_modified=utc(2019, 3, 30, 23, 59), last_modified_basis="max(created_at)",
                   encryption_at_rest="none", encryption_in_transit="optional", public=False,
                   has_retention=False, classified=True, personal_data=(partial,))
    audit = table("public.audit_log", records=None, bytes=None, last_modified=None, classified=True,
                  encryption_at_rest="none", encryption_in_transit="optional", public=False, has_retention=None,
                  denied=("pg_stat_user_tables: permission denied",))
    # object stores: records are rows (estimated from the sampled objects), objects are objects
    exports = bucket("acme-exports", records=48_000, records_basis="estimated from 36 of 1,240 objects", objects=1_240,
                     bytes=3_400_000_000,
                     last_modified=utc(2026, 11, 7, 23, 10), last_modified_basis="newest object",
                     oldest_modified=utc(2019, 5, 2), region="ap-southeast-1", encryption_at_rest="provider",
                     encryption_in_transit="enforced", public=False, has_retention=False, versioning=True,
                     logging=None, object_lock=False, classified=True,
                     facts={"public_access_block": "all four settings on", "objects_sampled": 36})
    daily = bucket("acme-exports/daily/", parent="acme-exports", records=44_640, objects=1_156,
                   records_basis="estimated from 30 of 1,156 objects",
                   bytes=3_300_000_000, last_modified=utc(2026, 11, 7, 23, 10), last_modified_basis="newest object",
                   region="ap-southeast-1", encryption_at_rest="provider", encryption_in_transit="enforced",
                   public=False, has_retention=False, classified=True, personal_data=(email,))
    legacy = bucket("acme-exports/legacy/2019-export/", parent="acme-exports", records=3_360, objects=84,
                    records_basis="counted",
                    bytes=96_000_000, last_modified=utc(2019, 6, 30, 4, 0), last_modified_basis="newest object",
                    oldest_modified=utc(2019, 5, 2), region="ap-southeast-1", encryption_at_rest="provider",
                    encryption_in_transit="enforced", public=False, has_retention=False, classified=True,
                    personal_data=(email, phone))
    logs = bucket("acme-exports-logs", records=None, objects=88_004, bytes=12_000_000,
                  last_modified=utc(2026, 11, 8, 1, 0), last_modified_basis="newest object",
                  region="ap-southeast-1", public=None, classified=False,
                  denied=("s3:GetBucketAcl: AccessDenied", "s3:GetBucketPolicyStatus: AccessDenied",
                          "s3:GetBucketEncryption: NotImplemented"),
                  notes=("logs/2026-11-08.gz: corrupt gzip stream, skipped",))
    archive = bucket("acme-archive-public", source="archive", records=12_400, objects=310,
                     records_basis="estimated from 5 of 310 objects",
                     bytes=52_000_000, last_modified=utc(2026, 7, 1), last_modified_basis="newest object",
                     region="us-central1", encryption_at_rest="provider", encryption_in_transit="unknown",
                     public=True, public_reasons=("allUsers: roles/storage.objectViewer",), has_retention=True,
                     retention_days=730, classified=True, personal_data=(email,))
    datasets = [customers, orders, audit, exports, daily, legacy, logs, archive]

    findings = [
        finding("public-exposure", "critical", archive, "Dataset readable or listable by anyone",
                {"kind": "bucket", "uri": archive.uri, "public_reasons": list(archive.public_reasons),
                 "personal_data": summary(email)}, new=True),
        finding("stale-personal-data", "high", customers, "Personal data kept past its maximum age",
                {"records": customers.records, "last_modified": "2019-02-14T09:30:00+00:00", "age_days": 2824,
                 "max_age_days": 365, "personal_data": summary(email, phone, name, addr)}),
        finding("vendor-contract-ended", "high", customers, "Data still held after the vendor's contract ended",
                {"contract_end": "2019-03-31", "days_since": 2779, "records": customers.records}),
        finding("vendor-contract-ended", "high", orders, "Data still held after the vendor's contract ended",
                {"contract_end": "2019-03-31", "days_since": 2779, "records": orders.records}),
        finding("weak-password-hash", "high", customers, "Passwords stored as unsalted fast hashes",
                {"column": "password", "algorithm": "md5", "sampled": 200}, first_seen=utc(2026, 6, 1)),
        finding("stale-personal-data", "high", legacy, "Personal data kept past its maximum age",
                {"records": 3_360, "last_modified": "2019-06-30T04:00:00+00:00", "age_days": 2688, "max_age_days": 365,
                 "personal_data": summary(email, phone)}, new=True),
        finding("not-assessed", "high", logs,
                "Not assessed: public exposure of S3 buckets: s3:GetBucketAcl, s3:GetBucketPolicyStatus refused",
                {"cause": "public exposure of S3 buckets: s3:GetBucketAcl, s3:GetBucketPolicyStatus refused",
                 "unknown": ["public"], "rule": "public-exposure", "rules": ["public-exposure"],
                 "datasets": [logs.name], "why": ["the ACL and policy status could not be read"],
                 "denied": list(logs.denied), "way_out": "permission",
                 "fix": "Grant s3:GetBucketAcl, s3:GetBucketPolicyStatus to the auditor's identity."},
                new=True, dataset=logs.name),
        finding("not-assessed", "high", SourceResultStub("courier-db", "parcelgo"), "Source could not be assessed",
                {"kind": "sql", "reason": "connection refused (courier-db.internal:5432)"}, new=True),
        finding("data-beyond-agreement", "medium", customers, "Vendor holds personal data beyond its agreement",
                {"allowed": ["email", "phone"], "found": ["person_name", "postal_address"]}),
        finding("no-retention-control", "medium", exports, "Personal data with no retention control",
                {"has_retention": False, "personal_data": summary(email, phone)}, first_seen=utc(2026, 9, 14)),
        finding("data-outside-region", "low", archive, "Dataset outside the vendor's allowed regions",
                {"region": "us-central1", "allowed_regions": ["ap-southeast-1", "asia-southeast1"]}, new=True),
        finding("insecure-transport", "medium", customers, "Plain (unencrypted) connections accepted",
                {"ssl": "optional", "server": "PostgreSQL 11"}, status="waived",
                waiver={"reason": "Legacy host is on an isolated VLAN; decommission ticket OPS-4411",
                        "until": "2026-12-31T00:00:00+00:00", "by": "m.tan (DPO office)", "expired": False}),
    ]
    vendors = [
        Vendor(id="redmart-legacy-host", name="RedMart legacy hosting", contract_end=date(2019, 3, 31),
               allowed_personal_data=("email", "phone")),
        Vendor(id="acme-analytics", name="Acme Analytics", contract_end=date(2027, 6, 30),
               allowed_regions=("ap-southeast-1", "asia-southeast1")),
        Vendor(id="parcelgo", name="ParcelGo couriers"),
    ]
    sources = [
        SourceResult(id="redmart-db", kind="sql", vendor="redmart-legacy-host", datasets=3),
        SourceResult(id="exports", kind="s3", vendor="acme-analytics", datasets=4),
        SourceResult(id="archive", kind="gcs", vendor="acme-analytics", datasets=1),
        SourceResult(id="courier-db", kind="sql", vendor="parcelgo", status="error",
                     error="connection refused (courier-db.internal:5432)"),
    ]
    errors = [
        CollectionError(source="courier-db", reason="connection refused (courier-db.internal:5432)",
                        fix="open port 5432 from the auditor host to courier-db.internal, or run the auditor inside the courier VPC"),
        CollectionError(source="exports", dataset="acme-restricted", kind="bucket",
                        reason="s3:ListBucket: AccessDenied", fix="grant s3:ListBucket on arn:aws:s3:::acme-restricted"),
    ]
    resolved = [
        ResolvedFinding(id=finding_id("public-exposure", "exports", "acme-exports"), rule="public-exposure",
                        dataset="acme-exports", source="exports", severity="critical"),
        ResolvedFinding(id=finding_id("unencrypted-personal-data", "exports", "acme-exports"),
                        rule="unencrypted-personal-data", dataset="acme-exports", source="exports", severity="high"),
    ]
    if hostile:
        evil = table(HOSTILE_TABLE, source="evil-db", vendor="evil", records=10, classified=True,
                     last_modified=utc(2018, 1, 1), last_modified_basis=HOSTILE_PREFIX,
                     personal_data=(pd("email", 3, (HOSTILE_TABLE,), ("x***@<***>.com",)),),
                     facts={HOSTILE_TABLE: HOSTILE_PREFIX})
        evil_prefix = bucket(f"evil-bucket/{HOSTILE_PREFIX}/", source="evil-s3", vendor="evil", records=2,
                             classified=False, denied=(f"{HOSTILE_TABLE}: AccessDenied",), notes=(HOSTILE_PREFIX,))
        datasets += [evil, evil_prefix]
        vendors.append(Vendor(id="evil", name=HOSTILE_VENDOR))
        sources += [SourceResult(id="evil-db", kind="sql", vendor="evil", datasets=1),
                    SourceResult(id="evil-s3", kind="s3", vendor="evil", datasets=1)]
        findings += [
            finding("stale-personal-data", "high", evil, HOSTILE_PREFIX,
                    {HOSTILE_TABLE: HOSTILE_PREFIX, "personal_data": summary(evil.personal_data[0])}, new=True),
            finding("public-exposure", "critical", evil_prefix, HOSTILE_TABLE, {"uri": HOSTILE_PREFIX}, new=True),
        ]
        errors.append(CollectionError(source="evil-s3", dataset=HOSTILE_TABLE, reason=HOSTILE_PREFIX, fix=HOSTILE_TABLE))
    fields = {
        "id": "run-20261108-0200-7f3a", "started_at": utc(2026, 11, 8, 2, 0), "finished_at": utc(2026, 11, 8, 2, 4),
        "as_of": AS_OF, "trigger": "event:11.11 Singles' Day",
        "trigger_detail": {"event": "11.11 Singles' Day", "event_date": "2026-11-11", "days_before": 3},
        "status": "partial", "sources": tuple(sources), "datasets": tuple(datasets), "findings": tuple(findings),
        "resolved": tuple(resolved), "errors": tuple(errors), "vendors": tuple(vendors),
        "previous_run_id": "run-20261107-0200-1c9e", "policy_limits": {"max_age_days": 365},
    }
    fields.update(overrides)
    return Run(**fields)


class SourceResultStub:
    """Enough of a dataset for :func:`finding` when the subject is a whole source."""

    def __init__(self, source: str, vendor: str) -> None:
        self.source, self.vendor, self.name = source, vendor, source


LARGE_RULES = (  # (rule, severity, title): the built-in rules a large estate trips most
    ("stale-personal-data", "high", "Personal data kept past its maximum age"),
    ("no-retention-control", "medium", "Personal data with no retention control"),
    ("unencrypted-personal-data", "high", "Personal data stored without encryption at rest"),
    ("data-outside-region", "low", "Dataset outside the vendor's allowed regions"),
    ("public-exposure", "critical", "Dataset readable or listable by anyone"),
    ("not-assessed", "high", "Not assessed: Personal data kept past its maximum age"),
    ("insecure-transport", "medium", "Plain (unencrypted) connections accepted"),
    ("vendor-contract-ended", "high", "Data still held after the vendor's contract ended"),
)


def large_run(datasets: int = 10_000, findings: int = 5_000, vendors: int = 20, **overrides) -> Run:
    """A synthetic estate of ``datasets`` datasets (half SQL tables, half buckets with a prefix
    below each) across ``vendors`` vendors, two sources each, with ``findings`` findings spread
    over :data:`LARGE_RULES`; every tenth finding waived. Deterministic: for the report's scale."""
    email = pd("email", 200, ("email",), ("j***@e***.com",))
    phone = pd("phone", 120, ("phone",), ("+65 9***-**12",))
    vs = [Vendor(id=f"vendor-{v:02d}", name=f"Vendor {v:02d} Pte Ltd", contract_end=date(2027, 6, 30),
                 allowed_regions=("ap-southeast-1",)) for v in range(vendors)]
    sources, ds = [], []
    for v in vs:
        sources += [SourceResult(id=f"{v.id}-db", kind="sql", vendor=v.id, datasets=0),
                    SourceResult(id=f"{v.id}-s3", kind="s3", vendor=v.id, datasets=0)]
    for i in range(datasets):
        v = vs[i % vendors]
        old = i % 3 == 0
        common = dict(vendor=v.id, records=1_000 + i * 7, bytes=250_000 + i * 1_024,
                      last_modified=utc(2019, 2, 14) if old else utc(2026, 10, 1 + i % 28),
                      region="ap-southeast-1" if i % 5 else "us-east-1", encryption_at_rest="none" if i % 4 == 0 else "provider",
                      encryption_in_transit="enforced", public=i % 97 == 0, has_retention=i % 2 == 0,
                      classified=i % 11 != 0, personal_data=(email, phone) if i % 2 else (),
                      facts={"objects_sampled": 36} if i % 2 else {})
        if i % 2 == 0:
            ds.append(table(f"shop_{i // 400}.orders_{i:05d}", source=f"{v.id}-db", records_basis="exact",
                            last_modified_basis="max(updated_at)", **common))
        elif i % 4 == 1:
            ds.append(bucket(f"{v.id}-exports-{i:05d}", source=f"{v.id}-s3", records_basis="objects",
                             last_modified_basis="newest object", **common))
        else:
            parent = f"{v.id}-exports-{i - 2:05d}"
            ds.append(bucket(f"{parent}/daily/{i:05d}/", source=f"{v.id}-s3", parent=parent, records_basis="objects",
                             last_modified_basis="newest object", **common))
    fs = []
    for j in range(min(findings, len(ds) * len(LARGE_RULES))):
        d = ds[(j * 2) % len(ds) + (j * 2 // len(ds)) % 2]
        rule, severity, title = LARGE_RULES[(j // 7) % len(LARGE_RULES)]
        waived = j % 10 == 9
        f = finding(rule, severity, d, title, {"records": d.records, "personal_data": summary(email, phone),
                                               "last_modified": "2019-02-14T00:00:00+00:00", "max_age_days": 365},
                    new=j % 3 == 0, status="waived" if waived else "open",
                    waiver={"reason": "accepted until migration", "until": "2027-01-31T00:00:00+00:00",
                            "by": "dpo", "expired": False} if waived else None)
        fs.append(f.model_copy(update={
            "description": f"{title}. Stores like this are what leaks in a breach; regulators expect the holder to "
                           "know where personal data sits, why it is kept, and to delete it when no longer needed.",
            "remediation": f"Fix {rule}: delete the data the vendor no longer needs, or encrypt and restrict it, "
                           "then record the retention period in the vendor's agreement and re-run the audit."}))
    fields = {"id": f"run-large-{datasets}", "started_at": utc(2026, 11, 8, 2, 0), "finished_at": utc(2026, 11, 8, 2, 30),
              "as_of": AS_OF, "trigger": "schedule:nightly", "status": "complete", "sources": tuple(sources),
              "datasets": tuple(ds), "findings": tuple(fs), "vendors": tuple(vs), "policy_limits": {"max_age_days": 365}}
    fields.update(overrides)
    return Run(**fields)

"""The config file: YAML in, validated pydantic models out.

Every mistake is one :class:`~auditor.errors.ConfigError` that names the file, the
line and the key (taken from the YAML node marks), and never echoes a value: a value
may be a credential substituted from the environment.

``${VAR}`` (or ``${VAR:-default}``) in any string is read from the environment; a
missing variable is an error naming it. A relative SQLite ``state`` path and relative
policy paths are resolved against the config file's folder, so cron can run from ``/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from auditor import registry
from auditor.classify.custom import DetectorSpec
from auditor.errors import ConfigError, ConfigErrors
from auditor.models import ATTESTABLE_FACTS, PERSONAL_DATA_TYPES, Severity, Vendor, attested_value
from auditor.redact import SPILLED_PASSWORD, spilled_password
from auditor.yaml_marks import Path_, dotted, line_of, read_marked, read_yaml_file, validation_errors

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# values the run can compute with: finite, positive, and dates in a window date arithmetic survives
SANE_YEARS = (1970, 2200)


def _sane_date(v: date | None) -> date | None:
    if v is not None and not SANE_YEARS[0] <= v.year <= SANE_YEARS[1]:
        raise ValueError(f"date outside {SANE_YEARS[0]}..{SANE_YEARS[1]}")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorConfig(_Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    contract_end: date | None = None
    allowed_personal_data: list[str] | None = None
    allowed_regions: list[str] | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    _contract_end_sane = field_validator("contract_end")(_sane_date)

    @field_validator("allowed_personal_data")
    @classmethod
    def _known_types(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        known = known_types(info)  # built-in types and the config's own detectors
        unknown = [t for t in v or [] if t not in known]
        if unknown:
            raise ValueError(f"unknown personal-data type {unknown[0]!r} (known: {', '.join(known)})")
        return v

    def model(self) -> Vendor:
        return Vendor(
            id=self.id,
            name=self.name,
            contract_end=self.contract_end,
            allowed_personal_data=tuple(self.allowed_personal_data) if self.allowed_personal_data is not None else None,
            allowed_regions=tuple(self.allowed_regions) if self.allowed_regions is not None else None,
            tags=self.tags,
        )


class SourceConfig(BaseModel):
    """``id``, ``vendor`` and ``kind``; the rest is the connector's own ``Options``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    vendor: str
    kind: str
    options: Any = None
    line: int | None = None
    provider: Any = None  # sql: the managed instance whose API tells what a SQL login cannot see
    # a digest of the source as written (before ${VAR} substitution, secrets left out): a Celery worker
    # compares it with the coordinator's and refuses a unit of a source its own config defines otherwise
    written: str | None = None


class RdsProvider(_Strict):
    """``provider: {kind: rds, instance: NAME, region: R}`` of a sql source (read by connectors.providers)."""

    kind: Literal["rds"]
    instance: str = Field(min_length=1)
    region: str | None = None
    endpoint_url: str | None = None  # a private endpoint or a local emulator


PROVIDERS: dict[str, type[BaseModel]] = {"rds": RdsProvider}


class AttestationMatch(_Strict):
    """Which datasets an attestation covers: any subset of vendor, source, dataset (globs)."""

    vendor: str | None = None
    source: str | None = None
    dataset: str | None = None


class AttestationConfig(_Strict):
    """A fact declared by someone (a SOC 2 report, a contract clause): used while the fact is
    unknown to the auditor, shown as "declared by <by> until <until>, not verified", and
    ignored after ``until`` (the fact is unknown again)."""

    match: AttestationMatch = Field(default_factory=AttestationMatch)
    fact: str
    value: Any
    evidence: str = Field(min_length=1)
    by: str = Field(min_length=1)
    until: date
    line: int | None = None

    _until_sane = field_validator("until")(_sane_date)

    @field_validator("fact")
    @classmethod
    def _attestable(cls, v: str) -> str:
        if v not in ATTESTABLE_FACTS:
            attested_value(v, None)  # raises, naming the attestable facts
        return v

    @field_validator("value")
    @classmethod
    def _value_fits_fact(cls, v: Any, info: ValidationInfo) -> Any:
        fact = info.data.get("fact")
        return attested_value(fact, v) if fact else v  # ValueError names the fact and the values it takes


class EventConfig(_Strict):
    name: str = Field(min_length=1)
    date: date
    audit_days_before: list[int] = Field(default_factory=lambda: [1])  # each 0..3650
    time: str = "09:00"  # local time of day in the schedule's zone, HH:MM
    fail_on: Severity | None = None
    policies: list[str] | None = Field(default=None, min_length=1)  # a stricter policy list for this event's audits

    @field_validator("audit_days_before")
    @classmethod
    def _non_negative(cls, v: list[int]) -> list[int]:
        if any(d < 0 for d in v):
            raise ValueError("days before must be 0 or more")
        if any(d > 3650 for d in v):
            raise ValueError("days before must be at most 3650 (ten years)")
        return v

    _date_sane = field_validator("date")(_sane_date)

    @field_validator("time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", v):
            raise ValueError("time must be HH:MM (24-hour)")
        return v


class EmailConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "auditor@localhost"
    to: list[str]
    starttls: bool = False
    username: str | None = None
    password: str | None = None  # use ${VAR}
    attach_report: bool = False

    @model_validator(mode="after")
    def _no_password_in_the_clear(self) -> EmailConfig:
        loopback = self.host in ("localhost", "::1") or self.host.startswith("127.")
        if (self.username or self.password) and not (self.starttls or self.port == 465 or loopback):
            raise ValueError("a login needs TLS: set starttls: true (port 587) or use port 465; "
                             "the password would otherwise cross the network in the clear")
        return self


class NotifyConfig(_Strict):
    webhook: str | None = None
    email: EmailConfig | None = None
    on: Literal["always", "findings", "failure"] = "always"
    format: Literal["json", "slack", "teams"] = "json"  # the webhook's body: our JSON summary, Block Kit, Adaptive Card
    report_url: str | None = None  # where reports_dir is served: chat messages link <report_url>/<report file>


class ScheduleConfig(_Strict):
    nightly: str | None = None  # 5-field cron; day-of-week 0 and 7 are Sunday
    timezone: str = "UTC"
    events: list[EventConfig] = Field(default_factory=list)
    misfire_grace_seconds: int = Field(default=3600, ge=1, le=7 * 86400)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class ExecutorConfig(_Strict):
    """Where per-source collection runs: in this process (local) or on Celery workers."""
    kind: Literal["local", "celery"] = "local"
    broker: str | None = None  # e.g. ${AUDITOR_BROKER_URL}; redis://127.0.0.1:6379/0 or amqp://...
    backend: str | None = None  # result backend; default: the broker (Redis) or rpc:// (AMQP)
    queue: str = Field(default="auditor", min_length=1, max_length=200)
    # a unit still running after this is not-assessed (soft limit; the hard limit kills it 10 s later)
    time_limit_seconds: float | None = Field(default=None, gt=0, le=7 * 86400, allow_inf_nan=False)
    # Redis: an unacknowledged unit is redelivered after this (keep it above the time limit)
    visibility_timeout_seconds: float = Field(default=3600, gt=0, le=7 * 86400, allow_inf_nan=False)
    # the broker unreachable this long: the run ends, the units not done are named (exit 3)
    broker_timeout_seconds: float = Field(default=30, gt=0, le=86400, allow_inf_nan=False)
    # the whole run's wait for its units (no worker at all must not hang a nightly run forever)
    run_timeout_seconds: float | None = Field(default=None, gt=0, le=7 * 86400, allow_inf_nan=False)
    # no worker consuming the queue (none answers the coordinator's check) this long: the units not
    # done are named not-assessed and the run ends (exit 3); a worker's death mid-run included
    # no worker consuming the queue this long ends the run (units not done named): long enough for a
    # fleet scaled from zero (a queue-length autoscaler) to start; a unit a worker runs counts as one
    worker_timeout_seconds: float = Field(default=300, gt=0, le=86400, allow_inf_nan=False)
    # a source of several buckets or schemas goes out as one unit per bucket or schema
    split: bool = True


class Config(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    state: str = "sqlite:///auditor.db"
    policies: list[str] = Field(default_factory=lambda: ["builtin:baseline"], min_length=1)
    vendors: list[VendorConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    schedule: ScheduleConfig | None = None
    notify: NotifyConfig | None = None
    reports_dir: str | None = None  # where scheduled runs write dated reports and latest.html
    concurrency: int = Field(default=4, ge=1, le=64)  # sources audited at once
    fail_on: Severity = "high"
    # a source still running after this is not-assessed (positive, finite, at most a week); an hour
    # by default, and never unlimited: one hung vendor must not hold a nightly run forever
    source_timeout_seconds: float = Field(default=3600, gt=0, le=7 * 86400, allow_inf_nan=False)
    # a run lock held this long from another host is stale (positive, finite, at most a year)
    lock_stale_hours: float = Field(default=12, gt=0, le=8760, allow_inf_nan=False)
    detectors: list[DetectorSpec] = Field(default_factory=list)  # user-defined detectors (auditor.classify.custom)
    executor: ExecutorConfig | None = None  # default: local
    attestations: list[AttestationConfig] = Field(default_factory=list)
    path: str | None = None  # the file it came from
    base_dir: str = "."

    @field_validator("state")
    @classmethod
    def _state_url(cls, v: str) -> str:
        """Checked here, where file, line and key are known (the store would say only ``state``)."""
        import sqlalchemy as sa

        if _ENV.search(v):
            return v  # a variable not set: that error names it already
        try:
            url = sa.engine.make_url(v)
        except sa.exc.ArgumentError:
            raise ValueError("not a SQLAlchemy database URL (e.g. sqlite:///auditor.db)") from None
        if spilled_password(url, v):  # never echo the value here
            raise ValueError(SPILLED_PASSWORD)
        return v

    def vendor(self, vendor_id: str) -> Vendor:
        for v in self.vendors:
            if v.id == vendor_id:
                return v.model()
        return Vendor(id=vendor_id)

    def vendor_models(self) -> dict[str, Vendor]:
        return {v.id: v.model() for v in self.vendors}

    def personal_data_types(self) -> tuple[str, ...]:
        """The built-in types and the names of the config's detectors."""
        return PERSONAL_DATA_TYPES + tuple(d.name for d in self.detectors)


# --------------------------------------------------------------------------- loading


def substitute_env(data: Any, lines: dict[Path_, int], file: str, path: Path_ = (),
                   missing: list[ConfigError] | None = None) -> Any:
    """``${VAR}`` from the environment. A missing variable raises, or, given ``missing``, is
    added to it (and left as written) so that every mistake of a file is reported at once."""
    if isinstance(data, dict):
        return {k: substitute_env(v, lines, file, path + (k,), missing) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute_env(v, lines, file, path + (i,), missing) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:

        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            value = os.environ.get(name)
            if value is None:
                if default is not None:
                    return default
                err = ConfigError(
                    f"environment variable {name} is not set", file=file, line=line_of(lines, path), key=dotted(path)
                )
                if missing is None:
                    raise err
                missing.append(err)
                return m.group(0)
            return value

        return _ENV.sub(repl, data)
    return data


_SECRET_KEY = re.compile(r"pass|secret|token|credential|sas|connection_string|(^|_)key($|_)", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")


def written_digest(raw: Any) -> str:
    """A digest of one source as written in the file: ``${VAR}`` references as written (each machine
    resolves them from its own environment), a literal credential left out (a value under a key that
    names one, a URL's password), so that nothing secret can be guessed from it."""

    def scrub(v: Any, key: str = "") -> Any:
        if isinstance(v, dict):
            return {str(k): scrub(x, str(k)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, list):
            return [scrub(x, key) for x in v]
        if isinstance(v, str):
            if "${" not in v and _SECRET_KEY.search(key):
                return "<secret>"
            return _URL_PASSWORD.sub(r"\1:<secret>@", v)
        return v if isinstance(v, (int, float, bool)) or v is None else str(v)

    text = json.dumps(scrub(raw), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _parse_source(raw: Any, i: int, lines: dict[Path_, int], file: str, base_dir: str) -> SourceConfig:
    """One source; every mistake in it at once (a :class:`ConfigErrors` when more than one). A sql
    source's relative SQLite file is relative to the config file, as ``state`` is (cron's cwd is
    rarely the config's folder)."""
    path: Path_ = ("sources", i)
    if not isinstance(raw, dict):
        raise ConfigError("a source must be a mapping", file=file, line=line_of(lines, path), key=dotted(path))
    errors: list[ConfigError] = []
    for k in ("id", "vendor", "kind"):
        if k not in raw or raw[k] in (None, ""):
            errors.append(ConfigError(f"missing required key {k!r}", file=file, line=line_of(lines, path),
                                      key=dotted(path + (k,))))
        elif not isinstance(raw[k], str):
            errors.append(ConfigError(f"{k} must be a string", file=file, line=line_of(lines, path + (k,)),
                                      key=dotted(path + (k,))))
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ConfigErrors(errors) if len(errors) > 1 else errors[0]
    if kind not in registry.connectors:  # the kinds the composition root registered (auditor.plugins)
        known = ", ".join(registry.connectors) or "none: call auditor.plugins.load_connectors() first"
        errors.append(ConfigError(f"unknown source kind {kind!r} (known: {known})", file=file,
                                  line=line_of(lines, path + ("kind",)), key=dotted(path + ("kind",))))
    else:
        connector = registry.connectors.get(kind)
        opts = {k: v for k, v in raw.items() if k not in ("id", "vendor", "kind", "provider")}
        if kind == "sql" and isinstance(opts.get("url"), str):
            opts["url"] = _resolve_state(opts["url"], base_dir)
        try:
            options = connector.Options(**opts)
        except ValidationError as exc:
            errors.extend(validation_errors(exc, lines, file, path))
    provider = _parse_provider(raw, kind, path, lines, file, errors) if "provider" in raw else None
    if errors:
        raise ConfigErrors(errors) if len(errors) > 1 else errors[0]
    return SourceConfig(id=raw["id"], vendor=raw["vendor"], kind=kind, options=options, line=line_of(lines, path),
                        provider=provider)


def _parse_provider(raw: dict[str, Any], kind: str, path: Path_, lines: dict[Path_, int], file: str,
                    errors: list[ConfigError]) -> Any:
    """``provider: {kind: rds, instance: NAME, region: R}`` of a sql source (mistakes appended to ``errors``)."""
    at = path + ("provider",)
    spec = raw["provider"]
    if kind != "sql":
        errors.append(ConfigError("provider is only for sql sources (a managed database instance)", file=file,
                                  line=line_of(lines, at), key=dotted(at)))
        return None
    if not isinstance(spec, dict):
        errors.append(ConfigError("provider must be a mapping: {kind: rds, instance: NAME, region: R}", file=file,
                                  line=line_of(lines, at), key=dotted(at)))
        return None
    pkind = spec.get("kind")
    if pkind not in PROVIDERS:
        errors.append(ConfigError(f"unknown provider kind {pkind!r} (known: {', '.join(PROVIDERS)})", file=file,
                                  line=line_of(lines, at + ("kind",)) or line_of(lines, at), key=dotted(at + ("kind",))))
        return None
    try:
        return PROVIDERS[pkind](**spec)
    except ValidationError as exc:
        errors.extend(validation_errors(exc, lines, file, at))
        return None


def load_config(path: str | os.PathLike[str], sources: bool = True) -> Config:
    """Read, substitute, validate. Raises ConfigError naming file, line and key.

    ``sources=False`` is for the verbs that read only the state store and the policies
    (``report``, ``waive``, ``waivers list``, ``unlock``, ``policies list``): the ``sources``
    and ``notify`` sections are neither substituted nor validated (their ``${VAR}`` secrets
    need not be set) and the returned config has no sources."""
    file = str(path)
    text = read_yaml_file(path, ConfigError, "config file")  # size-bounded before it is read
    return parse_config(text, file, sources=sources)


def _duplicates(data: dict[str, Any], section: str | Path_, key: str, what: str, lines: dict[Path_, int],
                file: str) -> list[ConfigError]:
    """A ``key`` that repeats within the list ``section`` (a top-level key, or the path to a nested
    list, as written, also when the config as a whole did not validate): one error per repeat,
    naming its line."""
    at: Path_ = (section,) if isinstance(section, str) else section
    found: Any = data
    for part in at:
        found = found.get(part) if isinstance(found, dict) else None
    items: list[Any] = found if isinstance(found, list) else []
    seen: set[str] = set()
    out: list[ConfigError] = []
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in seen:
            out.append(ConfigError(f"duplicate {what} {value!r}", file=file,
                                   line=line_of(lines, (*at, i, key)), key=dotted((*at, i, key))))
        seen.add(value)
    return out


def parse_config(text: str, file: str = "<config>", sources: bool = True) -> Config:
    data, lines = read_marked(text, file)
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping of keys (state, policies, vendors, sources, ...)", file=file, line=1)
    if not sources:  # store and policies only: leave the sources and notify sections (and their secrets) alone
        data = {k: v for k, v in data.items() if k not in ("sources", "notify")}
    errors: list[ConfigError] = []  # every mistake of the file, reported at once
    written = data.get("sources")
    digests = [written_digest(w) for w in written] if isinstance(written, list) else []  # before substitution: the same file on every machine
    data = substitute_env(data, lines, file, missing=errors)
    raw_sources = data.pop("sources", None) or []
    if not isinstance(raw_sources, list):
        raise ConfigError("sources must be a list", file=file, line=line_of(lines, ("sources",)), key="sources")
    if not raw_sources and sources:
        errors.append(ConfigError("no sources: an audit with nothing to audit would pass silently", file=file,
                                  line=line_of(lines, ("sources",)), key="sources"))
    base_dir = str(Path(file).resolve().parent) if file != "<config>" else str(Path.cwd())
    cfg: Config | None = None
    try:
        cfg = Config.model_validate({**data, "path": file, "base_dir": base_dir},
                                    context={"personal_data_types": declared_types(data)})
    except ValidationError as exc:
        errors.extend(validation_errors(exc, lines, file))
    except TypeError as exc:  # a non-mapping where a mapping belongs
        errors.append(ConfigError(f"invalid structure: {exc}", file=file, line=1))
    sources_: list[SourceConfig] = []
    for i, raw in enumerate(raw_sources):
        try:
            parsed = _parse_source(raw, i, lines, file, base_dir)
            sources_.append(parsed.model_copy(update={"written": digests[i] if i < len(digests) else None}))
        except ConfigErrors as exc:
            errors.extend(exc.errors)
        except ConfigError as exc:
            errors.append(exc)

    # vendors as written (also when the config as a whole did not validate)
    raw_vendors = data.get("vendors") if isinstance(data.get("vendors"), list) else []
    seen_vendors = {v["id"] for v in raw_vendors if isinstance(v, dict) and isinstance(v.get("id"), str)}
    errors.extend(_duplicates(data, "vendors", "id", "vendor id", lines, file))
    errors.extend(_duplicates(data, "detectors", "name", "detector name", lines, file))
    errors.extend(_duplicates(data, ("schedule", "events"), "name", "event name", lines, file))
    seen_sources: set[str] = set()
    for i, raw in enumerate(raw_sources):
        sid, vendor = (raw.get("id"), raw.get("vendor")) if isinstance(raw, dict) else (None, None)
        if isinstance(sid, str) and sid:
            if sid in seen_sources:
                errors.append(ConfigError(f"duplicate source id {sid!r}", file=file,
                                          line=line_of(lines, ("sources", i, "id")), key=dotted(("sources", i, "id"))))
            seen_sources.add(sid)
        if isinstance(vendor, str) and vendor and vendor not in seen_vendors:
            errors.append(ConfigError(f"vendor {vendor!r} is not declared under vendors", file=file,
                                      line=line_of(lines, ("sources", i, "vendor")), key=dotted(("sources", i, "vendor"))))
    if cfg is not None and sources:
        errors.extend(_attestation_errors(cfg, seen_vendors, seen_sources, lines, file))
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
    assert cfg is not None
    state = _resolve_state(cfg.state, base_dir)
    policies = [p if p.startswith("builtin:") or Path(p).is_absolute() else str(Path(base_dir) / p) for p in cfg.policies]
    attestations = [a.model_copy(update={"line": line_of(lines, ("attestations", i))})
                    for i, a in enumerate(cfg.attestations)]
    return cfg.model_copy(update={"sources": sources_, "state": state, "policies": policies,
                                  "attestations": attestations})


def _attestation_errors(cfg: Config, vendors: set[str], sources: set[str], lines: dict[Path_, int],
                        file: str) -> list[ConfigError]:
    """A match naming a vendor or source (no glob) must name a declared one: a typo would
    otherwise attest nothing, silently."""
    known = {"vendor": vendors, "source": sources}
    out = []
    last: dict[tuple[Any, ...], int] = {}  # (match, fact) -> the earlier entry in force the longest
    for i, a in enumerate(cfg.attestations):
        same = (a.match.vendor, a.match.source, a.match.dataset, a.fact)
        j = last.get(same, i)
        if j == i or a.until > cfg.attestations[j].until:
            last[same] = i
        # an earlier entry wins while it is in force: one ending no later than every earlier one is never
        # used (a later until is a renewal that takes over when the earlier ones expire)
        if j != i and a.until <= cfg.attestations[j].until:
            at_: Path_ = ("attestations", i)
            out.append(ConfigError(f"attestations[{j}] already declares {a.fact} for the same match until "
                                   f"{cfg.attestations[j].until.isoformat()}: this one would never be used "
                                   "(edit or remove one)", file=file, line=line_of(lines, at_), key=dotted(at_)))
        for key in ("vendor", "source"):
            name = getattr(a.match, key)
            if name is not None and not set("*?[") & set(name) and name not in known[key]:
                at: Path_ = ("attestations", i, "match", key)
                out.append(ConfigError(f"no {key} {name!r} is declared under {key}s", file=file,
                                       line=line_of(lines, at), key=dotted(at)))
    return out


def declared_types(data: dict) -> tuple[str, ...]:
    """The built-in types plus the names under ``detectors:`` (read before validation, so that
    ``allowed_personal_data`` may name them)."""
    raw = data.get("detectors") or []
    names = [d.get("name") for d in raw if isinstance(d, dict)] if isinstance(raw, list) else []
    return PERSONAL_DATA_TYPES + tuple(n for n in names if isinstance(n, str) and n not in PERSONAL_DATA_TYPES)


def known_types(info: ValidationInfo) -> tuple[str, ...]:
    context = info.context if isinstance(info.context, dict) else {}
    return tuple(context.get("personal_data_types") or PERSONAL_DATA_TYPES)


def _resolve_state(url: str, base_dir: str) -> str:
    """A relative SQLite file is relative to the config file, not to cron's cwd (the state store's,
    and a sql source's)."""
    m = re.match(r"^(sqlite(?:\+\w+)?:///(?:file:)?)(.+)$", url)  # "file:": SQLite's URI form (uri=true)
    if m and not m.group(2).startswith("/") and m.group(2) != ":memory:" and not m.group(2).startswith(":memory:?"):
        return m.group(1) + str(Path(base_dir) / m.group(2))
    return url

"""Read policy files: YAML with node marks, so every error names file, line and key.

``load_policies(specs)`` resolves ``builtin:NAME``, files and folders (and their
``extends``), loads each file once, then applies overrides in load order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from auditor.errors import ConfigError, PolicyError, PolicyErrors
from auditor.registry import RegistryError
from auditor.yaml_marks import Path_, read_marked, read_yaml_file, validation_errors
from auditor.yaml_marks import dotted as _dotted
from auditor.yaml_marks import line_of as _line

from .checks import checks
from .ruleset import PolicySet, Rule, Scoped
from .schema import OverrideSpec, PolicyFileSpec, RuleSpec

NOT_ASSESSED_ID = "not-assessed"  # the rule id and check of "could not be assessed" (models.leaves_incomplete reads it)

PACKS = Path(__file__).parent / "packs"


# --- YAML with marks --------------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Plain data plus ``{key path: 1-based line}``; duplicate keys are errors."""
    text = read_yaml_file(path, PolicyError, "policy file")  # size-bounded before it is read
    return read_marked(text, str(path), PolicyError)


def _validate(model: type[BaseModel], data: Any, file: str, lines: dict[Path_, int], at: Path_ = (),
              context: dict | None = None) -> Any:
    """``model`` validated from ``data``; every mistake in it at once (a :class:`PolicyErrors`
    when more than one), each naming file, line and key."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise _one_or_all(validation_errors(exc, lines, file, at, PolicyError)) from None


def _one_or_all(errors: Sequence[ConfigError]) -> PolicyError:
    """One error as itself, several as a :class:`PolicyErrors` (one line each)."""
    flat: list[ConfigError] = []
    for e in errors:
        flat.extend(e.errors if isinstance(e, PolicyErrors) else [e])
    first = flat[0]
    if len(flat) == 1:
        return first if isinstance(first, PolicyError) else PolicyError(first.detail, file=first.file,
                                                                         line=first.line, key=first.key)
    return PolicyErrors(flat)


# --- specs -> files ---------------------------------------------------------------


def builtin_packs() -> list[str]:
    return sorted(p.stem for p in PACKS.glob("*.yaml"))


def _resolve(spec: str, base: Path, where: tuple[str, int | None, str] | None) -> list[Path]:
    def fail(msg: str) -> PolicyError:
        if where:
            return PolicyError(msg, file=where[0], line=where[1], key=where[2])
        return PolicyError(msg, file=spec)

    if spec.startswith("builtin:"):
        name = spec.split(":", 1)[1]
        path = PACKS / f"{name}.yaml"
        if not path.is_file():
            raise fail(f"unknown built-in pack {name!r} (known: {', '.join(builtin_packs())})")
        return [path]
    path = Path(spec).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise fail(f"policy folder {spec!r} holds no .yaml files")
        return files
    if not path.is_file():
        raise fail(f"policy file {spec!r} not found")
    return [path]


class _Build:
    def __init__(self, personal_data_types: Sequence[str] | None = None) -> None:
        self.context = {"personal_data_types": tuple(personal_data_types)} if personal_data_types else None
        self.seen: set[Path] = set()
        self.files: list[str] = []
        self.rules: dict[str, Rule] = {}
        self.overrides: list[tuple[OverrideSpec, str, dict[Path_, int], Path_]] = []

    def load(self, path: Path) -> None:
        real = path.resolve()
        if real in self.seen:
            return  # loaded already (diamond or cyclic extends)
        self.seen.add(real)
        name = _display(path)
        data, lines = read_yaml(path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise PolicyError("a policy file is a mapping (rules, overrides, extends)", file=name, line=1)
        try:
            spec: PolicyFileSpec = _validate(PolicyFileSpec, data, name, lines, context=self.context)
        except PolicyError as exc:
            raise _one_or_all([exc, *self._rule_mistakes(data, exc, name, lines)]) from None
        for i, parent in enumerate(spec.extends):
            for p in _resolve(parent, path.parent, (name, _line(lines, ("extends", i)), f"extends[{i}]")):
                self.load(p)
        self.files.append(name)
        errors: list[PolicyError] = []  # every rule's mistakes at once: a user fixes them in one go
        for i, rule in enumerate(spec.rules):
            try:
                self.add_rule(rule, name, lines, ("rules", i))
            except PolicyError as exc:
                errors.append(exc)
        if errors:
            raise _one_or_all(errors)
        for i, ov in enumerate(spec.overrides):
            self.overrides.append((ov, name, lines, ("overrides", i)))

    def _rule_mistakes(self, data: dict, found: PolicyError, file: str, lines: dict[Path_, int]) -> list[ConfigError]:
        """Where a file's shape is wrong, the mistakes of its rules whose own shape is right (an
        unknown check, bad params, a duplicate id): reported with the shape's, so that one
        round of fixes is enough. The rules are checked on a copy: nothing is loaded."""
        raw = data.get("rules")
        if not isinstance(raw, list):
            return []
        wrong = {e.key for e in (found.errors if isinstance(found, PolicyErrors) else [found])}
        scratch = _Build()
        scratch.context, scratch.rules = self.context, dict(self.rules)
        out: list[ConfigError] = []
        for i, item in enumerate(raw):
            at: Path_ = ("rules", i)
            if any(k == _dotted(at) or (k or "").startswith(_dotted(at) + ".") for k in wrong):
                continue  # its own shape is wrong: already said
            try:
                scratch.add_rule(RuleSpec.model_validate(item, context=self.context), file, lines, at)
            except ValidationError:
                continue  # the file-level errors name it
            except PolicyError as exc:
                out.extend(exc.errors if isinstance(exc, PolicyErrors) else [exc])
        return out

    def add_rule(self, spec: RuleSpec, file: str, lines: dict[Path_, int], at: Path_) -> None:
        line = _line(lines, at)
        if (spec.id == NOT_ASSESSED_ID) != (spec.check == NOT_ASSESSED_ID):
            # the id every report, the exit code and the run's status read as "could not be assessed":
            # another check under it would turn its failures into unknowns (exit 3, never its severity),
            # and the not-assessed check under another id would leave unknowns out of them (exit 0)
            raise PolicyError(f"rule id {NOT_ASSESSED_ID!r} and check {NOT_ASSESSED_ID!r} go together (this rule: "
                              f"id {spec.id!r}, check {spec.check!r}): "
                              + ("give the rule another id" if spec.id == NOT_ASSESSED_ID else
                                 f"restate it with id {NOT_ASSESSED_ID!r} (its severity, title and texts may change)"),
                              file=file, line=_line(lines, (*at, "id")), key=_dotted((*at, "id")))
        if spec.id in self.rules:
            first = self.rules[spec.id]
            raise PolicyError(f"duplicate rule id {spec.id!r} (first defined at {first.file}:{first.line})",
                              file=file, line=_line(lines, (*at, "id")), key=_dotted((*at, "id")))
        try:
            impl = checks.get(spec.check)
        except RegistryError as exc:
            raise PolicyError(str(exc.args[0]), file=file, line=_line(lines, (*at, "check")),
                              key=_dotted((*at, "check"))) from None
        options = _validate(impl.params, spec.params, file, lines, (*at, "params"), context=self.context)
        rule = Rule(id=spec.id, title=spec.title, severity=spec.severity, description=spec.description,
                    remediation=spec.remediation, references=tuple(spec.references), match=spec.match,
                    check=spec.check, params=dict(spec.params), options=options, enabled=spec.enabled,
                    file=file, line=line, impl=impl, context=self.context)
        _guard_not_assessed(rule, file, line, _dotted(at))
        self.rules[spec.id] = rule

    def apply_overrides(self) -> None:
        errors: list[PolicyError] = []  # every override's mistakes at once
        for ov, file, lines, at in self.overrides:
            try:
                self._override(ov, file, lines, at)
            except PolicyError as exc:
                errors.append(exc)
        if errors:
            raise _one_or_all(errors)
        # scoped params on top of the final global params must still validate
        for rule in self.rules.values():
            for s in rule.scoped:
                if s.params:
                    try:
                        rule.check_impl.params.model_validate({**rule.params, **s.params}, context=self.context)
                    except ValidationError as exc:
                        errors.append(PolicyError(exc.errors()[0]["msg"], file=s.file, line=s.line, key="params"))
        if errors:
            raise _one_or_all(errors)

    def _override(self, ov: OverrideSpec, file: str, lines: dict[Path_, int], at: Path_) -> None:
        rule = self.rules.get(ov.rule)
        if rule is None:
            raise PolicyError(f"override of unknown rule {ov.rule!r} (loaded: {', '.join(self.rules)})",
                              file=file, line=_line(lines, (*at, "rule")), key=_dotted((*at, "rule")))
        merged = {**rule.params, **(ov.params or {})}
        options = _validate(rule.check_impl.params, merged, file, lines, (*at, "params"), context=self.context)
        if ov.scoped:
            rule.scoped.append(Scoped(
                vendors=_tup(ov.vendors), sources=_tup(ov.sources), datasets=_tup(ov.datasets),
                params=ov.params, severity=ov.severity, match=ov.match, enabled=ov.enabled,
                file=file, line=_line(lines, at)))
        else:
            rule.params, rule.options = merged, options
            rule.severity = ov.severity or rule.severity
            rule.match = ov.match or rule.match
            rule.enabled = rule.enabled if ov.enabled is None else ov.enabled
            rule.overridden_in.append(f"{file}:{_line(lines, at)}")
        _guard_not_assessed(rule, file, _line(lines, at), _dotted(at), ov)


def _guard_not_assessed(rule: Rule, file: str, line: int | None, key: str, ov: OverrideSpec | None = None) -> None:
    if rule.check != "not-assessed":
        return
    narrowed = not rule.enabled or not rule.match.is_empty()
    if ov is not None:
        narrowed = narrowed or ov.enabled is False or (ov.match is not None and not ov.match.is_empty())
    if narrowed:
        raise PolicyError("not-assessed cannot be disabled or narrowed: unknown is never a pass",
                          file=file, line=line, key=key)


def _tup(v: list[str] | None) -> tuple[str, ...] | None:
    return tuple(v) if v is not None else None


def _display(path: Path) -> str:
    try:
        return f"builtin:{path.stem}" if path.resolve().parent == PACKS.resolve() else str(path)
    except OSError:
        return str(path)


def limits_of(rules: list[Rule]) -> dict[str, Any]:
    stale = [r for r in rules if r.check == "stale-personal-data" and r.enabled]
    preferred = [r for r in stale if r.id == "stale-personal-data"] or stale
    return {"max_age_days": getattr(preferred[0].options, "max_age", 365) if preferred else 365}


def load_policies(specs: Sequence[str], base_dir: Path | None = None,
                  personal_data_types: Sequence[str] | None = None) -> PolicySet:
    """Load ``builtin:NAME`` packs, files and folders; raise PolicyError naming file, line, key.

    ``personal_data_types``: the types rules may name (the built-in ones and the config's
    user-defined detectors); default: the built-in ones."""
    if isinstance(specs, str):
        specs = [specs]
    build = _Build(personal_data_types)
    base = base_dir or Path.cwd()
    for spec in specs:
        for path in _resolve(spec, base, None):
            build.load(path)
    build.apply_overrides()
    rules = list(build.rules.values())
    return PolicySet(rules=rules, limits=limits_of(rules), files=build.files)


def resolve_specs(specs: Sequence[str], base_dir: Path | None,
                  where: Sequence[tuple[str, int | None, str] | None]) -> None:
    """Check that each spec names something (a known ``builtin:NAME``, an existing file, a folder
    holding .yaml files) without reading it; raise PolicyError at ``where[i]`` (the file, line and
    key that wrote ``specs[i]``, e.g. a config's ``policies[1]``) when one does not."""
    base = base_dir or Path.cwd()
    for spec, at in zip(specs, where, strict=True):
        _resolve(spec, base, at)


def require_rules(policy_set: PolicySet, where: tuple[str, int | None, str]) -> None:
    """Raise PolicyError at ``where`` (the file, line and key that listed the policies) when no rule
    but ``not-assessed`` is in force: an empty policy file, or every rule switched off, audits
    against nothing and passes every release gate."""
    if any(r.check != "not-assessed" for r in policy_set.enabled_rules):
        return
    files = ", ".join(policy_set.files) or "none"
    raise PolicyError(f"no rule in force (files read: {files}): an audit against no rule would pass "
                      "silently; add rules or extends: builtin:baseline", file=where[0], line=where[1], key=where[2])


def validate_paths(paths: Sequence[str], personal_data_types: Sequence[str] | None = None) -> list[str]:
    """``auditor policies validate``: one line per good spec (its rules and files, extends
    included); raises PolicyError on the first bad file. ``personal_data_types``: as for
    :func:`load_policies` (a config's detectors add theirs)."""
    out = []
    for spec in paths:
        ps = load_policies([spec], None, personal_data_types)
        out.append(f"{spec} ({len(ps.rules)} rules from {len(ps.files)} files: {', '.join(ps.files)})")
    return out

"""Policy packs and their evaluation: pure functions of facts, no I/O beyond reading YAML.

Public API (stable; the engine and CLI rely on it):

- ``load_policies(specs: list[str], base_dir: Path | None = None) -> PolicySet``
  ``specs`` are ``builtin:NAME`` or paths to files or folders (relative ones against
  ``base_dir``); raises ``auditor.errors.PolicyError`` naming file, line and key.
- ``evaluate(policy_set, datasets, errors, sources, vendors, as_of) -> list[Finding]``
  findings come back ``open``, ``new=True``, ``first_seen=None``: the store fills those.
- ``PolicySet.rules`` (for ``auditor policies list``) and ``PolicySet.limits``
  (``{"max_age_days": 365}``: what reports draw the data-age chart against).
- ``resolve_specs(specs, base_dir, where)``: each spec names a pack, file or folder (no parsing);
  a PolicyError at ``where[i]`` (the config's file, line and key) otherwise.
- ``require_rules(policy_set, where)``: a PolicyError at ``where`` when no rule but not-assessed is in force.
- ``validate_paths(paths) -> list[str]`` and ``describe_rules(policy_set) -> list[dict]``
  for ``auditor policies validate|list``.

Inside: ``schema`` (the file format, documented there), ``loader`` (YAML with marks),
``checks`` (the registry and the check protocol), ``builtin`` (the built-in checks),
``ruleset`` (rules in force, overrides), ``evaluate``, ``packs/*.yaml``.
"""

from __future__ import annotations

from typing import Any

from . import builtin as _builtin  # noqa: F401  (registers the built-in checks)
from .checks import checks
from .evaluate import evaluate
from .judge import judge
from .loader import builtin_packs, load_policies, require_rules, resolve_specs, validate_paths
from .ruleset import PolicySet, Rule

__all__ = ["PolicySet", "Rule", "load_policies", "evaluate", "validate_paths", "describe_rules", "checks", "judge",
           "builtin_packs", "resolve_specs", "require_rules"]


def describe_rules(policy_set: PolicySet) -> list[dict[str, Any]]:
    """Every rule in force: id, title, severity, check, params after overrides, match, file."""
    out = []
    for r in policy_set.rules:
        out.append({
            "id": r.id,
            "title": r.title,
            "severity": r.severity,
            "check": r.check,
            "params": r.params_after_overrides,
            "match": r.match.model_dump(exclude_none=True),
            "enabled": r.enabled,
            "file": r.file,
            "line": r.line,
            "overridden_in": list(r.overridden_in),
            "scoped_overrides": [s.describe() for s in r.scoped],
            "references": list(r.references),
        })
    return out

"""Helpers shared by the connectors.

The connector contract itself (``Connector``, ``Options``, ``SourceSpec``,
``CollectContext``, ``Capabilities``) lives in :mod:`auditor.connector`, below the
connectors, and is re-exported here. Connectors only read. Their samples stay in memory
and go to the classifier.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from auditor.connector import Capabilities, CollectContext, Connector, Options, SourceSpec
from auditor.models import CollectionError

__all__ = ["Capabilities", "CollectContext", "Connector", "Options", "SourceSpec", "either", "empty_selection",
           "matches", "unmatched_patterns"]


def matches(name: str | Sequence[str], include: Sequence[str], exclude: Sequence[str] = ()) -> bool:
    """Glob selection shared by every connector (``schema.table``, bucket names); ``name`` may be
    several spellings of one thing (a dotted schema's quoted and plain names): a glob matching any
    of them includes, or excludes, it."""
    names = (name,) if isinstance(name, str) else name
    if include and not any(fnmatch.fnmatchcase(n, pat) for n in names for pat in include):
        return False
    return not any(fnmatch.fnmatchcase(n, pat) for n in names for pat in exclude)


def either(*facts: bool | None) -> bool | None:
    """Tri-state OR: known true if any fact is true, known false only if every fact is known
    false, else unknown (an unreadable setting never makes a bucket private)."""
    if any(f is True for f in facts):
        return True
    return False if all(f is False for f in facts) else None


def unmatched_patterns(names: Iterable[str], include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """The glob patterns of ``include`` (names without a glob are checked one by one elsewhere)
    that select none of ``names`` once ``exclude`` is applied."""
    names = list(names)
    return [p for p in dict.fromkeys(include) if set("*?[") & set(p)
            and not any(fnmatch.fnmatchcase(n, p) and matches(n, [p], exclude) for n in names)]


def empty_selection(source: str, what: str, patterns: Sequence[str], held: int) -> CollectionError:
    """A selection that matched nothing is a finding, not a pass: the not-assessed for glob
    ``patterns`` that matched none of the ``held`` <what>s the source holds (counted, never
    named: names from an audited store do not go into the message)."""
    pats = ", ".join(repr(p) for p in patterns)
    plural = "s" if len(patterns) > 1 else ""
    holds = f"the source holds {held} {what}{'' if held == 1 else 's'}"
    return CollectionError(
        source=source, dataset=None,
        reason=f"empty selection: {what} pattern{plural} {pats} matched nothing ({holds})",
        fix=f"check the {what} names and globs of this source (the vendor may have renamed or moved them); "
            "the audit identity may also lack the right to see them",
    )

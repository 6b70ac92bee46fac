"""Personal-data classifier: bounded samples in, PersonalData summaries out.

Public API (stable; the engine and connectors rely on it):

- ``classify(sample, options=None) -> tuple[PersonalData, ...]``
- ``ClassifyOptions`` (thresholds, phone regions, bounds)
- masking helpers in ``auditor.classify.masking``

Layout: ``types.py`` (one record per personal-data type: the tables below iterate
over it), ``custom.py`` (user-defined detectors as such records),
``validators.py`` and ``ids.py`` (one validator per type), ``hints.py``
(what field names say), ``prefilter.py`` (the one-pass ``re2.Set``), ``columns.py``
(column decision), ``text.py`` (free text), ``results.py`` (folding into
PersonalData), ``masking.py``.

Raw values never leave this package: not in results (examples are masked), not in
log lines (there are none), not in exceptions (:class:`ClassifyError` names the field
and the exception type only, and drops the chained exception).
"""

from __future__ import annotations

import re

from auditor.classify.columns import decide_field, enabled_types, is_compound, is_prose, validators_for
from auditor.classify.hints import field_vetoes
from auditor.classify.custom import DetectorSpec
from auditor.classify.options import DEFAULT_PHONE_REGIONS, ClassifyOptions
from auditor.classify.results import Hit, fold
from auditor.classify.text import TEXT_WHERE, scan_text
from auditor.classify.types import BUILTIN
from auditor.models import PersonalData, Sample

__all__ = ["classify", "ClassifyOptions", "ClassifyError", "DEFAULT_PHONE_REGIONS", "TEXT_WHERE", "DetectorSpec"]

_EMBEDDED = frozenset(t.name for t in BUILTIN if t.embedded)
# what an "@" in a compound cell is when it is no address: the user part of a URL
# ("postgresql://app@db.acme.com:5432/x", "ssh://git@host:2222/r") and a git/scp remote
# ("git@github.com:acme/svc.git": host, ':', a path); blanked before the e-mail pass. Each starts
# at a token's start (no rescan from every character of a long token)
_NOT_ADDRESS = re.compile(r"(?<![\w+.-])[A-Za-z][\w+.-]*://[^\s@/?#]*@[^\s/?#]*"
                          r"|(?<![^\s<>\"'(),;=])[^\s@<>\"'(),;=:/]+@[^\s@<>\"'(),;=:/]+:[^\s/:]*/\S*")
_DEFAULT = ClassifyOptions()  # frozen: one instance, so per-options work (columns._plan) is done once


class ClassifyError(RuntimeError):
    """The classifier failed on one field; the message names the field, never a value."""


def classify(sample: Sample, options: ClassifyOptions | None = None) -> tuple[PersonalData, ...]:
    """Personal data found in ``sample``: one PersonalData per type, masked examples only."""
    options = options or _DEFAULT
    hits: list[Hit] = []
    validators = validators_for(options) if sample.fields else None
    for name, values in sample.fields.items():
        try:
            field_hits, texts = decide_field(str(name), values if type(values) is list else list(values or ()), options, validators)
            hits.extend(field_hits)
            found = frozenset(h.type for h in field_hits)
            if is_prose(texts) and not found & {"postal_address", "person_name"}:
                embedded = _EMBEDDED | {d.name for d in options.detectors}
                skip = frozenset(enabled_types(options)) - (embedded - found)
                hits.extend(scan_text(texts, options, where=str(name), skip=skip))
            elif not found and texts and "@" in (joined := "\n".join(texts)) and is_compound(texts) \
                    and "email" not in field_vetoes(str(name)):
                # short cells of several parts ("Name <addr>", "addr, addr"): whole-value validation
                # cannot see an address inside one; read as text for e-mail addresses only (their
                # shape is their own: the text pass's other types would find phones in timestamps),
                # and only where there is an "@" (none: no address; a column of timestamps has ":"
                # in every cell), the cells as lines of one text (an address holds no line end)
                hits.extend(scan_text([_NOT_ADDRESS.sub(" ", joined)], options, where=str(name),
                                      skip=frozenset(enabled_types(options)) - {"email"}))
        except Exception as exc:  # noqa: BLE001 - re-raised without the value-bearing chain
            raise ClassifyError(f"classifier failed on field {str(name)[:200]!r}: {type(exc).__name__}") from None
    if sample.text:
        try:
            hits.extend(scan_text(sample.text, options))
        except Exception as exc:  # noqa: BLE001
            raise ClassifyError(f"classifier failed on free text: {type(exc).__name__}") from None
    return fold(hits, options.max_examples)

"""Free text: prefilter each chunk in one pass, extract and validate candidates of the
types present only, within a per-type budget.

In text there is no column to vote, so weak validators need context: an id without
a checksum (MyKad, NIK), a Thai id, an M-series FIN whose checksum cannot be confirmed,
a bare hex hash, a phone number without international or separated form, and a date
of birth all count only with a keyword just before them (``NIK:``, ``password=``,
``DOB``, ``tel``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from auditor.classify.columns import validators_for
from auditor.classify.hints import text_context_types
from auditor.classify.ids import UNKNOWN_TAGS, WEAK_TAGS
from auditor.classify.options import ClassifyOptions
from auditor.classify.prefilter import EXTRACT, prefilter_for
from auditor.classify.results import Hit, confidence

TEXT_WHERE = "<text>"
_CONTEXT_BYTES = 40
_PHONE_WORDS = re.compile(r"(?i)phone|\btel\b|mobile|\bhp\b|whatsapp|call|contact|fax|电话|手机|โทร|sđt|điện thoại")
# validated as if hinted: the extraction pattern carries the context (``DOB: ...``), or
# weak results are checked against the text before the match afterwards
_HINTED = frozenset({"date_of_birth", "national_id", "password_hash"})


def _before(chunk: bytes, start: int) -> str:
    return chunk[max(0, start - _CONTEXT_BYTES):start].decode("utf-8", "ignore")


def chunks_of(texts: Iterable[str], size: int) -> Iterator[bytes]:
    """UTF-8 chunks of about ``size`` bytes, cut at line ends where possible."""
    for text in texts:
        data = text.encode("utf-8", "replace")
        start, n = 0, len(data)
        while start < n:
            end = min(start + size, n)
            if end < n:
                cut = data.rfind(b"\n", start, end)
                if cut > start:
                    end = cut + 1
            yield data[start:end]
            start = end


def _needs_context(type_: str, tag: str) -> bool:
    if type_ == "national_id":
        return tag in WEAK_TAGS or tag.lstrip("?") in UNKNOWN_TAGS
    if type_ == "password_hash":
        return tag.split("!")[0] in ("md5", "sha1", "sha256")
    return False


def scan_text(
    texts: Iterable[str], options: ClassifyOptions, where: str = TEXT_WHERE, skip: frozenset[str] = frozenset()
) -> list[Hit]:
    """Validated hits in free text, at most ``max_text_values`` per type."""
    enabled = set(options.types) - skip
    validators = validators_for(options)
    hits: dict[str, Hit] = {}
    budget = {t: options.max_text_values for t in enabled}
    candidates = {t: options.max_text_candidates for t in enabled}
    wanted = frozenset(t for t in enabled if t in EXTRACT)
    prefilter = prefilter_for(wanted)
    for chunk in chunks_of(texts, options.text_chunk_bytes):
        settled = {t for t in wanted if budget[t] <= 0 or candidates[t] <= 0}
        if settled:
            wanted = wanted - settled
            if not wanted:
                break  # every type has its budget: the rest cannot change the result
            prefilter = prefilter_for(wanted)
        for type_ in prefilter.match(chunk):
            validate = validators[type_]
            hinted = type_ in _HINTED
            groups = EXTRACT[type_].groups
            for m in EXTRACT[type_].finditer(chunk):
                if budget[type_] <= 0 or candidates[type_] <= 0:
                    hit = hits.get(type_)
                    if hit is not None:
                        hit.capped = True
                    break
                candidates[type_] -= 1
                raw = (m.group(1) if groups else m.group()).decode("utf-8", "replace").strip()
                # weak forms (bare hex, ids without checksum, bare local phone numbers)
                # need a keyword just before them; the context is read only for those
                tag = validate(raw, hinted)
                if type_ == "phone" and tag is None and validate(raw, True) is not None:
                    if _PHONE_WORDS.search(_before(chunk, m.start())):
                        tag = validate(raw, True)
                if tag is None:
                    continue
                if _needs_context(type_, tag) and type_ not in text_context_types(_before(chunk, m.start())):
                    continue
                hit = hits.get(type_)
                if hit is None:
                    hit = hits[type_] = Hit(type=type_, where=where)
                hit.count += 1
                hit.tags[tag.lstrip("?")] += 1
                hit.add_example(raw, options.max_examples)
                budget[type_] -= 1
    for hit in hits.values():
        hit.confidence = confidence(hit.type, 0.5, False)
    return list(hits.values())

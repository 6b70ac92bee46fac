"""What makes two classifications the same: the digest a classification result is kept under.

``classify(sample, options)`` is a function of the sample's field names and values, its free
text, the options, the classifier's code and the libraries it validates with (``phonenumbers``'
metadata, RE2, ``python-stdnum``) and the interpreter (its Unicode database), and, for a value
that may be a birth date, of today's date. A nightly run reads the same sample again from most
tables that were not written since the night before; the engine keeps each dataset's last result
under :func:`sample_digest` and uses it again when the digest is equal, instead of classifying
the same values again (``auditor.engine``, the state store's ``classify_memo``).

The digest is exact where it is taken: every input above is in it, the values by a
representation that is one-to-one for the types it accepts (``repr`` of a list of ``str``,
``int``, ``float``, ``bool``, ``None``, ``Decimal``, dates, times, ``bytes``, ``UUID``); a sample
with a value of any other type has no digest (it is classified every time). A column of strings
(the usual one) with no NUL in a value, and the free text likewise, is taken as its count and its
values joined by NUL, which is as one-to-one and faster; each field is taken with its length.
Whether today's date was read is known after the classification (:func:`date_read`): such a
result is kept for that day only.
The digest is keyed (HMAC-SHA256 under the store's fingerprint key): the store never holds an
unkeyed hash of the values it was taken from.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import sys
import unicodedata
import uuid
from decimal import Decimal
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from auditor.classify.ids import date_used as _used
from auditor.classify.options import ClassifyOptions
from auditor.models import Sample

PREFIX = "m1:"
# the types whose repr is one-to-one (two values of these types with the same repr are equal)
_EXACT: frozenset[type] = frozenset({str, int, float, bool, type(None), Decimal, _dt.datetime, _dt.date, _dt.time,
                                     _dt.timedelta, bytes, uuid.UUID})


def start() -> None:
    """Before a classification in this thread: no date read yet."""
    _used.date = False


def today_text() -> str:
    """The date a result that read it holds for: the classifier's today (``ids.today``)."""
    from auditor.classify.ids import today

    return today().isoformat()


def date_read() -> bool:
    """Whether the classification since :func:`start` in this thread read today's date."""
    return bool(getattr(_used, "date", True))


@lru_cache(maxsize=1)
def code_digest() -> bytes:
    """The classifier's code (every file of this package, the compiled kernel included), the
    models its results are made of, the versions of the libraries it validates with, and the
    interpreter's (its regular expressions' \\w and ``str.isalpha`` follow its Unicode database)."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted(p for p in here.iterdir() if p.is_file() and p.suffix in (".py", ".so", ".c", ".pyd")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    import auditor.models

    h.update(Path(auditor.models.__file__).read_bytes())
    h.update(f"python={sys.version}\0unicode={unicodedata.unidata_version}\0".encode())
    for dist in ("phonenumbers", "phonenumberslite", "google-re2", "pydantic", "python-stdnum"):
        try:
            h.update(f"{dist}={metadata.version(dist)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=\0".encode())
    return h.digest()


@lru_cache(maxsize=16)
def _options_digest(options: ClassifyOptions | None) -> bytes:
    return hashlib.sha256((options or ClassifyOptions()).model_dump_json().encode()).digest()


def _values_bytes(values: list) -> bytes | None:
    """A list of values, one-to-one: strings with no NUL as their count and their values joined by
    NUL (one pass, in C), other exact types by ``repr``; None for a value of any other type."""
    try:
        joined = "\0".join(values)
    except TypeError:
        joined = None
    if joined is not None and joined.count("\0") == max(len(values) - 1, 0):  # no NUL in a value
        return b"s" + len(values).to_bytes(8, "big") + joined.encode("utf-8", "surrogatepass")
    if set(map(type, values)) <= _EXACT:
        return b"r" + repr(values).encode("utf-8", "backslashreplace")
    return None


def sample_digest(sample: Sample, options: ClassifyOptions | None, key: bytes) -> str | None:
    """The keyed digest of everything ``classify(sample, options)`` depends on but the date;
    None when a value's type has no exact representation (then the result is not kept)."""
    # the message is built whole and given to the HMAC in one update: hashlib lets go of the
    # interpreter lock for each update of more than 2 KiB, and taking it back each time costs
    # the source's thread a wait on the connector's (13 updates a table, 13 waits). The same bytes
    # in the same order, so the same digest as one update per part.
    parts = [b"auditor-classify-memo1\0",  # the fingerprint key keys this too: a purpose of its own
             code_digest(), _options_digest(options), len(sample.fields).to_bytes(8, "big")]
    add = parts.append
    for name, values in sample.fields.items():
        data = _values_bytes(values) if isinstance(name, str) and type(values) is list else None
        if data is None:
            return None
        name_bytes = repr(name).encode("utf-8", "backslashreplace")
        add(len(name_bytes).to_bytes(8, "big") + name_bytes + len(data).to_bytes(8, "big"))
        add(data)
    text = _values_bytes(list(sample.text))  # the free text as a column of strings: one pass over its bytes
    if text is None:
        return None
    add(text)
    return PREFIX + hmac.new(key, b"".join(parts), "sha256").hexdigest()

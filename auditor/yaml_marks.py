"""YAML with node marks, shared by the config and the policy loaders: every error names
the file, the line and the key, and never echoes a value (it may be a credential).

Dates are read as plain strings (the models parse them), so a bad date is a validation
error with its line and key rather than a crash inside the YAML library. A mapping key is
its text: ``on:`` (``notify.on``) is the key ``"on"``, not YAML 1.1's boolean ``True``. Duplicate keys
are errors: a second ``sources:`` silently replacing the first is how an audit ends up
auditing nothing.

Bounded (a "billion laughs" file must not grow past memory): a file is at most
:data:`MAX_YAML_BYTES`, holds at most :data:`MAX_ALIASES` aliases (``*name``), and its
aliases may expand to at most :data:`MAX_ALIAS_NODES` nodes in all; recursive aliases are
refused. Each refusal names the file and the line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.errors import ConfigError

Path_ = tuple[str | int | float, ...]  # keys and list indexes (a YAML key may be a number)
MAX_YAML_BYTES = 5 * 1024 * 1024  # a config or policy file bigger than this is refused
MAX_ALIASES = 100  # anchors are used rarely; 100 aliases is far more than any real file
MAX_ALIAS_NODES = 10_000  # the nodes all aliases may add when expanded (a bomb adds billions)
_KEY_AT = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:")


class _Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type, counting the aliases it composes."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name): refused (a YAML alias bomb "
                               "expands without bound)", mark.line + 1)
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_CLoader: Any = None  # yaml.CSafeLoader exists only where PyYAML was built with libyaml
if getattr(yaml, "__with_libyaml__", False):
    class _CSafeLoader(yaml.CSafeLoader):
        """libyaml's parser and composer (~20x faster than the pure-Python ones), the same resolvers
        and constructors. Its composer cannot count aliases as it goes: they are counted after
        composing (a composed alias is one more reference to its anchor's node, so composing
        stays linear in the file's size), and any refusal or error is re-read by :class:`_Loader`,
        so every message, line and key is the one the pure-Python loader gives."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

    _CLoader = _CSafeLoader


class _Fallback(Exception):
    """The fast path gave up: read again with the pure-Python loader."""


def read_marked(text: str, file: str, error: type[ConfigError] = ConfigError) -> tuple[Any, dict[Path_, int]]:
    """Plain data plus ``{key path: 1-based line}``."""
    if len(text) > MAX_YAML_BYTES:
        raise error(f"file larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB: refused", file=file)
    if _CLoader is not None:
        try:
            return _read_fast(text, file, error)
        except _Fallback:
            pass
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node)
        lines: dict[Path_, int] = {}
        data = _walk(loader, node, (), lines, file, error) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        # the context (where the unclosed bracket or quote began) is the culprit when there is one
        opened = exc.context_mark and any(w in (exc.context or "") for w in ("flow", "quoted", "scanning"))
        mark = exc.context_mark if opened else (exc.problem_mark or exc.context_mark)
        line = mark.line + 1 if mark else None
        msg = f"YAML syntax error: {exc.problem or exc}"
        if opened and exc.problem_mark:
            msg += f" ({exc.context} started here; failed at line {exc.problem_mark.line + 1})"
        raise error(msg, file=file, line=line, key=_nearest_key(text, line)) from None
    except yaml.YAMLError as exc:
        raise error(f"YAML error: {exc.__class__.__name__}", file=file) from None
    except _Refused as exc:
        raise error(str(exc), file=file, line=exc.line) from None
    except RecursionError:
        raise error("YAML nested too deeply: refused", file=file) from None
    finally:
        loader.dispose()
    return data, lines


def _read_fast(text: str, file: str, error: type[ConfigError]) -> tuple[Any, dict[Path_, int]]:
    """:func:`read_marked` with libyaml; raises :class:`_Fallback` on anything but a clean read."""
    assert _CLoader is not None
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if node is None:
            return None, lines
        if _expanded_size(node) > MAX_ALIASES:
            raise _Fallback
        return _walk(loader, node, (), lines, file, error), lines
    except (yaml.YAMLError, _Refused, ConfigError, RecursionError, ValueError, TypeError):
        raise _Fallback from None
    finally:
        loader.dispose()


def read_yaml_file(path: Any, error: type[ConfigError] = ConfigError, what: str = "file") -> str:
    """A config or policy file's text, refused before reading when it is over the size limit."""
    from pathlib import Path

    p = Path(path)
    try:
        if p.stat().st_size > MAX_YAML_BYTES:
            raise error(f"{what} larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB: refused", file=str(path))
        with p.open("r", encoding="utf-8") as fh:
            return fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{what} not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what}: {exc.__class__.__name__}", file=str(path)) from None


def _expanded_size(root: yaml.Node) -> int:
    """Count the nodes the document expands to (aliases counted at every use) without
    expanding it; refuse recursive aliases and expansions past the budget. Returns the
    number of aliases (references to a node met before)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()
    distinct = 0
    aliases = 0

    def size(node: yaml.Node) -> int:
        nonlocal distinct, aliases
        key = id(node)
        if key in sizes:
            aliases += 1
            return sizes[key]
        if key in busy:
            raise _Refused("recursive alias: refused", node.start_mark.line + 1)
        busy.add(key)
        distinct += 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        busy.discard(key)
        sizes[key] = total
        if total - distinct > MAX_ALIAS_NODES:
            raise _Refused(f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes: refused (a YAML alias "
                           "bomb)", node.start_mark.line + 1)
        return total

    size(root)
    return aliases


def _walk(loader: yaml.SafeLoader, node: yaml.Node, at: Path_, lines: dict[Path_, int], file: str,
          error: type[ConfigError]) -> Any:
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        written = {id(k) for k, _ in node.value}  # the keys written here, not merged in by ``<<: *name``
        loader.flatten_mapping(node)  # merged pairs first: a key written here overrides a merged one
        out: dict[Any, Any] = {}
        merged: set[Any] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, bool) and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value  # YAML 1.1 reads `on:` / `yes:` keys as booleans; a key is its text
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise error("mapping keys must be plain scalars", file=file,
                            line=key_node.start_mark.line + 1, key=dotted(at))
            if key in out and key not in merged:
                raise error("duplicate key", file=file, line=key_node.start_mark.line + 1, key=dotted((*at, key)))
            if id(key_node) in written:
                merged.discard(key)
            else:
                merged.add(key)
            lines[(*at, key)] = key_node.start_mark.line + 1
            out[key] = _walk(loader, value_node, (*at, key), lines, file, error)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, item, (*at, i), lines, file, error) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        raise error("invalid value", file=file, line=node.start_mark.line + 1, key=dotted(at)) from None


def _nearest_key(text: str, line: int | None) -> str | None:
    """For a syntax error: the key written on (or closest above) the failing line."""
    lines = text.splitlines()
    for i in range(min(line or len(lines), len(lines)) - 1, -1, -1):
        if m := _KEY_AT.match(lines[i]):
            return f"{m.group(1)} (near)"
    return None


def dotted(at: Path_) -> str:
    out = ""
    for part in at:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict[Path_, int], at: Path_) -> int | None:
    at = tuple(at)
    while at not in lines and at:
        at = at[:-1]
    return lines.get(at)


def validation_errors(exc: ValidationError, lines: dict[Path_, int], file: str, prefix: Path_ = (),
                      error: type[ConfigError] = ConfigError) -> list[ConfigError]:
    """Every pydantic error as one error naming file, line and key; the input is never echoed."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = (*prefix, *err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
        elif err["type"] == "missing":
            msg = f"missing required key {loc[-1]!r}"
        out.append(error(msg, file=file, line=line_of(lines, loc), key=dotted(loc)))
    return out


def raise_validation(exc: ValidationError, lines: dict[Path_, int], file: str, prefix: Path_ = (),
                     error: type[ConfigError] = ConfigError) -> None:
    """pydantic's first error as one error naming file, line and key; the input is never echoed."""
    first = validation_errors(exc, lines, file, prefix, error)[0]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    raise error(first.detail + more, file=file, line=first.line, key=first.key) from None

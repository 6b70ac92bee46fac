"""The auditor's exceptions.

::

    AuditorError                 anything the CLI turns into one clear line
    ├── UsageError               bad input: config, policy, command line  -> exit 2
    │   ├── ConfigError          names file, line and key
    │   │   └── ConfigErrors     every mistake of one file at once, one line each
    │   └── PolicyError          names file, line and key
    ├── StoreError               the auditor's own state store            -> exit 2
    │   ├── LockedError          another run holds the store's run lock
    │   └── RunNotSaved          a finished run could not be saved: reports from memory, exit 3
    └── ConnectorError           one source could not be read (becomes not-assessed)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.models import Run


class AuditorError(Exception):
    exit_code = 2


class UsageError(AuditorError):
    pass


class ConfigError(UsageError):
    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None):
        self.file, self.line, self.key, self.detail = file, line, key, message
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        keypart = f"{key}: " if key else ""
        super().__init__(f"{where}{keypart}{message}")


class ConfigErrors(ConfigError):
    """Every mistake found in one file, each naming its file, line and key: ``str()`` is one
    line per mistake, so a user fixes them all in one go. ``errors`` holds them; the
    file/line/key/detail attributes are the first one's."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = list(errors)
        first = self.errors[0]
        self.file, self.line, self.key, self.detail = first.file, first.line, first.key, first.detail
        UsageError.__init__(self, "\n".join(str(e) for e in self.errors))


class PolicyError(ConfigError):
    pass


class PolicyErrors(ConfigErrors, PolicyError):
    """Every mistake found in one policy file (or one file's rules and overrides), each naming
    its file, line and key: one line per mistake, as :class:`ConfigErrors`."""


class StoreError(AuditorError):
    pass


class LockedError(StoreError):
    pass


class RunNotSaved(StoreError):
    """The run was audited but could not be saved (a full disk): it carries the run, so its
    reports are still written from memory; the run is marked failed in the store (now, or by
    the next start if even that cannot be written)."""

    exit_code = 3

    def __init__(self, message: str, run: Run) -> None:
        super().__init__(message)
        self.run = run


class ConnectorError(AuditorError):
    """Raised inside a connector for a whole-source failure; the engine records it."""

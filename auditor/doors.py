"""What every command-line door shares (``auditor`` verbs, ``auditor schedule``): the one-line
error and exit code 2, loading the config through the composition root, ISO instants.

Kept apart from :mod:`auditor.cli` so that the verbs registered from other modules
(scheduler, demo, permissions) use them without importing the CLI's private helpers.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NoReturn, overload

import click

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from auditor.config import Config


SANE_YEARS = (1970, 2200)  # --as-of and --until: an instant date arithmetic (ages, windows) survives


def fail(exc: AuditorError | str, code: int = 2) -> NoReturn:
    for line in str(exc).splitlines() or [""]:  # several config mistakes: one line each
        click.echo(f"auditor: error: {line}", err=True)
    sys.exit(code)


@overload
def parse_instant(text: str, option: str | None = None) -> datetime: ...


@overload
def parse_instant(text: None, option: str | None = None) -> None: ...


def parse_instant(text: str | None, option: str | None = None) -> datetime | None:
    """ISO 8601 date or date-time; naive values are UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 date or date-time (e.g. 2026-11-08T09:00:00Z)",
                                 param_hint=option) from None
    try:
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the calendar's first instant in UTC
        value = datetime.min.replace(tzinfo=timezone.utc)
    if not SANE_YEARS[0] <= value.year < SANE_YEARS[1]:  # the run computes ages and windows from it
        raise click.BadParameter(f"{text!r} is outside the years {SANE_YEARS[0]}..{SANE_YEARS[1] - 1}",
                                 param_hint=option)
    return value


def load(config_path: str, sources: bool = True) -> Config:
    """The config; exit 2 naming file, line and key on a mistake. Its sources are validated by
    the registered connector kinds (built-in and plug-ins, registered here: the command line is
    the composition root). ``sources=False`` for verbs that read only the state store and the
    policies (their sources' ``${VAR}`` secrets are not resolved, so a reviewer needs none of them;
    nor are the cron line and the policy entries checked here: ``unlock`` must work whatever they say)."""
    from auditor.config import load_config
    from auditor.plugins import load_connectors

    try:
        if sources:
            load_connectors()
        config = load_config(config_path, sources=sources)
        if sources:  # the verbs that audit validate the whole file (not `unlock`, `waive`, `report`)
            if config.schedule is not None and config.schedule.nightly:
                from auditor.schedule import crontab

                crontab(config)  # a bad cron line is a bad config for `scan` too, not only for `schedule`
            _check_policy_specs(config)
        return config
    except AuditorError as exc:
        fail(exc)


def _check_policy_specs(config: Config) -> None:
    """Each ``policies:`` entry (the config's and its events') names a pack, file or folder: a
    typo is a config error at its file, line and key, as every other (the policy loader, later,
    would name only the entry)."""
    from pathlib import Path

    import policies
    from auditor.yaml_marks import Path_, dotted, line_of, read_marked

    listed: list[tuple[str, Path_]] = [(spec, ("policies", i)) for i, spec in enumerate(config.policies)]
    for i, event in enumerate(config.schedule.events if config.schedule else ()):
        listed += [(spec, ("schedule", "events", i, "policies", j)) for j, spec in enumerate(event.policies or ())]
    lines: dict[Path_, int] = {}
    if config.path and Path(config.path).is_file():
        try:
            _, lines = read_marked(Path(config.path).read_text(encoding="utf-8"), config.path)
        except (OSError, AuditorError):
            lines = {}
    where = [(config.path or "<config>", line_of(lines, at), dotted(at)) for _, at in listed]
    policies.resolve_specs([spec for spec, _ in listed], Path(config.base_dir), where)
    # each list in force (the config's, an event's) holds at least one rule: an empty policy file
    # audits against nothing and exits 0; named at the list's first entry
    lists: list[tuple[list[str], Path_]] = [(list(config.policies), ("policies", 0))]
    lists += [(list(e.policies), ("schedule", "events", i, "policies", 0))
              for i, e in enumerate(config.schedule.events if config.schedule else ()) if e.policies]
    for specs, at in lists:
        ps = policies.load_policies(specs, Path(config.base_dir), config.personal_data_types())
        policies.require_rules(ps, (config.path or "<config>", line_of(lines, at), dotted(at)))

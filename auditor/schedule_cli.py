"""``auditor schedule run`` and ``auditor schedule list``: doors into auditor.schedule."""

from __future__ import annotations

import json
import logging

import click

from auditor.doors import fail, load, parse_instant
from auditor.errors import AuditorError


def _now_option(text: str | None):
    return parse_instant(text)


@click.group("schedule")
def schedule_group() -> None:
    """Run audits on a schedule: nightly (cron) and before sales events."""


@schedule_group.command("list")
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--count", default=7, show_default=True, type=click.IntRange(0, 1000),
              help="How many nightly audits to show.")
@click.option("--now", "now", metavar="ISO8601", help="Plan as if it were this instant (check a schedule ahead).")
def schedule_list(config_path, as_json, count, now) -> None:
    """Show every upcoming audit (trigger, local time, UTC).

    Nightly audits (the next --count) and each event's audits, at their time in the
    schedule's zone; event audits already in the past are listed as skipped."""
    from auditor import schedule

    config = load(config_path)
    try:
        plan = schedule.plan(config, _now_option(now), count=count)
    except AuditorError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps({
            "timezone": plan.timezone, "nightly": plan.nightly, "now": plan.now.isoformat(),
            "upcoming": [p.as_dict() for p in plan.upcoming],
            "skipped": [{**p.as_dict(), "reason": "in the past"} for p in plan.skipped],
        }, indent=2))
        return
    nightly = f'nightly "{plan.nightly}"' if plan.nightly else "no nightly audit"
    click.echo(f"schedule: {nightly}, {len(config.schedule.events) if config.schedule else 0} event(s), zone {plan.timezone}; "
               f"now {plan.now.isoformat(timespec='seconds')}")
    if not plan.upcoming:
        click.echo("no upcoming audits")
    for p in plan.upcoming:
        click.echo(f"  {_row(p)}")
    for p in plan.skipped:
        click.echo(f"  skipped (in the past): {_row(p)}")


def _row(p) -> str:
    from datetime import timezone

    utc = p.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    extra = ""
    if p.event is not None:
        extra = f"  ({p.days_before} day{'s' if p.days_before != 1 else ''} before {p.event.date.isoformat()})"
    return f"{p.at.isoformat(timespec='minutes')}  {utc}  {p.trigger}{extra}"


@schedule_group.command("run")
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def schedule_run(state, config_path) -> None:
    """Run the scheduler in the foreground (nightly and pre-event audits).

    For systemd or a container: the nightly audit and one audit per upcoming pre-event
    date, never two at once. Reports go to the config's reports_dir (default:
    reports/ next to the config) with dated names plus latest.json and latest.html.
    SIGTERM or Ctrl-C stops it cleanly (exit 0)."""
    import sys

    from auditor import schedule

    config = load(config_path)
    if state is not None and getattr(state, "verbosity", 0) >= 0:
        # one line per run and the start/stop lines are the daemon's output, even without -v
        for name in ("auditor.schedule", "auditor.notify"):
            logging.getLogger(name).setLevel(logging.INFO)
    redactor = getattr(state, "redactor", None)
    try:
        schedule.plan(config, count=1)  # validates the schedule (cron line, section present)
        code = schedule.run_forever(config, schedule.Runner(config, redactor=redactor))
    except AuditorError as exc:
        fail(exc)
    sys.exit(code)


def register_cli(cli: click.Group) -> None:
    cli.add_command(schedule_group)

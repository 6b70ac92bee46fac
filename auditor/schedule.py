"""Scheduled audits: a thin layer over :func:`auditor.engine.run_audit`.

* :class:`CronTab` reads a 5-field cron line with cron's own meaning, not APScheduler's:
  day-of-week 0 and 7 are Sunday (``CronTrigger.from_crontab`` in 3.x reads 0 as Monday),
  a restricted day-of-month *and* day-of-week match either (cron ORs them), and a fixed hour
  that falls in the repeated hour when clocks go back runs once, as cron does.
* :func:`plan` lists every upcoming audit: the nightly line and each event's
  ``audit_days_before`` at its time of day in the schedule's zone; past ones are returned
  as skipped, never silently dropped.
* :class:`Runner` runs one planned audit (trigger ``schedule:nightly`` or ``event:<name>``),
  writes dated reports plus ``latest.json``/``latest.html`` into the report folder and sends
  the notifications. Another run holding the store's lock means one log line and a skip.
* :func:`build_scheduler` / :func:`run_forever`: APScheduler's BackgroundScheduler with
  ``max_instances=1``, coalescing, the configured misfire grace; the main thread waits for
  SIGTERM/SIGINT and stops cleanly (a running audit finishes first).
"""

from __future__ import annotations

import logging
import os
import re
import signal
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from auditor.config import Config, EventConfig
from auditor.errors import AuditorError, ConfigError, LockedError, RunNotSaved, UsageError

if TYPE_CHECKING:
    from auditor.publish import Targets

log = logging.getLogger("auditor.schedule")
UTC = timezone.utc
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NUMBER = {n: i for i, n in enumerate(DAY_NAMES)}
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


# --------------------------------------------------------------------------- cron, as cron means it


def _dow_value(text: str) -> int:
    if text.isdigit():
        n = int(text)
        if not 0 <= n <= 7:
            raise ValueError(f"day of week {text} is out of range 0-7")
        return n
    if text[:3] in _DAY_NUMBER and len(text) == 3:
        return _DAY_NUMBER[text]
    raise ValueError(f"day of week {text!r} is not 0-7 or a name (sun..sat)")


def cron_day_of_week(field_text: str) -> str:
    """Cron's day-of-week field (0 and 7 Sunday, names, ranges, lists, steps) as the day
    names APScheduler reads without ambiguity: ``1-5`` -> ``mon,tue,wed,thu,fri``."""
    text = field_text.strip().lower()
    if text in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step in day of week {item!r}")
            step = int(step_text)
        if base == "*":
            first, last = 0, 7
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _dow_value(a), _dow_value(b)
            if first > last:
                raise ValueError(f"day-of-week range {base!r} runs backwards")
        else:
            first = _dow_value(base)
            last = 7 if step_text else first
        days.update(d % 7 for d in range(first, last + 1, step))
    if not days:
        raise ValueError(f"empty day of week {field_text!r}")
    return "*" if len(days) == 7 else ",".join(DAY_NAMES[d] for d in sorted(days))


class CronTab(BaseTrigger):
    """An APScheduler trigger with the semantics of a crontab line (see the module doc)."""

    def __init__(self, expr: str, tz: str | ZoneInfo) -> None:
        self.expr = expr.strip()
        self.timezone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        fields = MACROS.get(self.expr.lower(), self.expr).split()
        if len(fields) != 5:
            raise ValueError(f"a cron line has 5 fields (minute hour day month day-of-week), got {len(fields)}")
        minute, hour, dom, month, dow = fields
        names = cron_day_of_week(dow)
        common = {"minute": minute, "hour": hour, "month": month.lower(), "timezone": self.timezone}
        if not dom.startswith("*") and not dow.startswith("*"):  # cron: either day field may match
            self._triggers = [CronTrigger(day=dom, day_of_week="*", **common),
                              CronTrigger(day="*", day_of_week=names, **common)]
        else:
            self._triggers = [CronTrigger(day=dom, day_of_week=names, **common)]
        self._fixed_hour = not hour.startswith("*")

    def get_next_fire_time(self, previous_fire_time, now):
        start = now.astimezone(UTC)
        if previous_fire_time is not None:
            start = min(start, previous_fire_time.astimezone(UTC) + timedelta(microseconds=1))
        while True:
            # always from an instant (previous_fire_time=None): APScheduler 3.11 can loop forever
            # when handed a previous fire time inside the repeated hour
            times = [t.get_next_fire_time(None, start.astimezone(self.timezone)) for t in self._triggers]
            times = [t for t in times if t is not None]
            if not times:
                return None
            nxt = min(times).astimezone(UTC).astimezone(self.timezone)  # normalised (a DST gap)
            if self._fixed_hour and nxt.fold == 1:  # the repeated hour after clocks go back
                start = nxt.astimezone(UTC) + timedelta(microseconds=1)
                continue
            return nxt

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        out: list[datetime] = []
        start = after
        while len(out) < count:
            nxt = self.get_next_fire_time(None, start)
            if nxt is None:
                break
            out.append(nxt)
            start = nxt.astimezone(UTC) + timedelta(microseconds=1)
        return out

    def __str__(self) -> str:
        return f"cron[{self.expr}]"

    def __repr__(self) -> str:
        return f"<CronTab {self.expr!r} tz={self.timezone.key}>"


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Planned:
    """One audit the schedule will run."""

    trigger: str  # schedule:nightly | event:<name>
    at: datetime  # aware, in the schedule's zone
    event: EventConfig | None = None
    days_before: int | None = None

    @property
    def job_id(self) -> str:
        return "nightly" if self.event is None else f"event:{self.event.name}:{self.days_before}d-before"

    @property
    def detail(self) -> dict | None:
        if self.event is None:
            return None
        return {"event": self.event.name, "event_date": self.event.date.isoformat(), "days_before": self.days_before}

    def as_dict(self) -> dict:
        return {"trigger": self.trigger, "at": self.at.isoformat(),
                "at_utc": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "kind": "nightly" if self.event is None else "event", **(self.detail or {})}


@dataclass
class Plan:
    timezone: str
    nightly: str | None
    now: datetime
    upcoming: list[Planned] = field(default_factory=list)
    skipped: list[Planned] = field(default_factory=list)


def schedule_of(config: Config):
    if config.schedule is None:
        raise ConfigError("no schedule: section (nightly, timezone, events) in this config", file=config.path,
                          key="schedule")
    return config.schedule


def crontab(config: Config) -> CronTab | None:
    sched = schedule_of(config)
    if not sched.nightly:
        return None
    try:
        return CronTab(sched.nightly, sched.timezone)
    except ValueError as exc:
        raise ConfigError(f"not a valid cron line: {exc}", file=config.path, line=_line_of(config, "nightly"),
                          key="schedule.nightly") from None


def _line_of(config: Config, key: str) -> int | None:
    """The line of schedule.<key> in the config file, for an error message."""
    if not config.path:
        return None
    from auditor.yaml_marks import line_of, read_marked

    try:
        _, lines = read_marked(Path(config.path).read_text(encoding="utf-8"), config.path)
    except (OSError, AuditorError):
        return None
    return line_of(lines, ("schedule", key))


def event_time(event: EventConfig, days_before: int, tz: ZoneInfo) -> datetime:
    """The audit's local instant; a wall time inside a DST gap moves past the gap, as cron's does."""
    hh, mm = (int(x) for x in event.time.split(":"))
    local = datetime.combine(event.date - timedelta(days=days_before), time(hh, mm), tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz)


def plan(config: Config, now: datetime | None = None, count: int = 7, grace: timedelta = timedelta(0)) -> Plan:
    """Every upcoming audit after ``now`` (minus ``grace``): ``count`` nightly ones and each
    event audit; event audits already past are listed in ``skipped``."""
    sched = schedule_of(config)
    tz = ZoneInfo(sched.timezone)
    now = (now or datetime.now(UTC)).astimezone(tz)
    out = Plan(timezone=sched.timezone, nightly=sched.nightly, now=now)
    cron = crontab(config)
    if cron is not None and count > 0:
        out.upcoming += [Planned("schedule:nightly", t) for t in cron.next_times(now, count)]
    for event in sched.events:
        for days in sorted(set(event.audit_days_before), reverse=True):
            p = Planned(f"event:{event.name}", event_time(event, days, tz), event, days)
            (out.upcoming if p.at >= now - grace else out.skipped).append(p)
    out.upcoming.sort(key=lambda p: p.at)
    out.skipped.sort(key=lambda p: p.at)
    return out


def options_for_trigger(config: Config, trigger: str, as_of: datetime | None = None) -> dict:
    """For ``auditor scan --trigger "event:<name>"`` (cron users): the event's detail, its
    stricter policy list and its fail_on, as a scheduled run of that event would use."""
    if not trigger.startswith("event:") or config.schedule is None:
        return {}
    name = trigger[len("event:"):]
    event = next((e for e in config.schedule.events if e.name == name), None)
    if event is None:
        if not config.schedule.events:
            return {}
        known = ", ".join(repr(e.name) for e in config.schedule.events)
        raise UsageError(f"--trigger {trigger!r}: no event named {name!r} under schedule.events in {config.path} "
                         f"(known: {known}); a misspelt event would run without its stricter policies")
    today = (as_of or datetime.now(UTC)).astimezone(ZoneInfo(config.schedule.timezone)).date()
    return {"trigger_detail": {"event": event.name, "event_date": event.date.isoformat(),
                               "days_before": (event.date - today).days},
            "policies": event.policies or None, "fail_on": event.fail_on}


# --------------------------------------------------------------------------- one scheduled run


def reports_dir(config: Config) -> Path:
    folder = Path(config.reports_dir) if config.reports_dir else Path("reports")
    return folder if folder.is_absolute() else Path(config.base_dir) / folder


def _slug(trigger: str) -> str:
    text = trigger.removeprefix("schedule:")
    text = text.replace(":", "-", 1) if text.startswith("event:") else text
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "run"


def scheduled_targets(run, folder: Path, trigger: str) -> Targets:
    """Every output as ``<UTC start>-<trigger><ending>`` in ``folder``, each also copied to
    ``latest<ending>`` (:class:`auditor.publish.Targets`)."""
    from auditor.publish import Targets

    stem = f"{run.started_at.astimezone(UTC):%Y-%m-%dT%H%MZ}-{_slug(trigger)}"
    if any(folder.glob(f"{glob_escape(stem)}.*")):
        stem += f"-{run.id.rsplit('-', 1)[-1]}"
    return Targets.dated(folder, stem)


class Runner:
    """Runs one planned audit; every outcome is one log line, nothing is raised."""

    def __init__(self, config: Config, redactor=None, reload: bool = True) -> None:
        from auditor.notify import register_secrets
        from auditor.redact import Redactor

        self.config = config
        self.redactor = redactor or Redactor()
        register_secrets(config, self.redactor)
        self.reload = reload and bool(config.path)
        self.results: list[dict] = []  # one entry per scheduled run: trigger, exit code (None: skipped)

    def _current_config(self) -> Config:
        if not self.reload or not self.config.path:
            return self.config
        from auditor.config import load_config
        from auditor.notify import register_secrets

        self.config = load_config(self.config.path)
        register_secrets(self.config, self.redactor)
        return self.config

    def __call__(self, planned: Planned) -> int | None:
        return self.run(planned)

    def run(self, planned: Planned) -> int | None:
        from auditor.engine import RunOptions, run_audit
        from auditor.notify import notify_after_run
        from auditor.publish import publish

        trigger = planned.trigger
        policies = (planned.event.policies or None) if planned.event else None
        try:
            config = self._current_config()
            options = RunOptions(trigger=trigger, trigger_detail=planned.detail, redactor=self.redactor,
                                 policies=policies)
            run = run_audit(config, options)
        except RunNotSaved as exc:  # audited, not stored (a full disk): marked failed, reports from memory, exit 3
            log.error("scheduled audit %s: %s", trigger, self.redactor(str(exc)))
            run = exc.run
        except LockedError as exc:
            message = self.redactor(str(exc))
            log.warning("scheduled audit %s skipped: %s", trigger, message)
            self.results.append({"trigger": trigger, "exit_code": None, "skipped": True})
            # a skipped audit is news: a lock that never clears must not silence the auditor
            notify_after_run(self.config, None, 2, {}, self.redactor, trigger=trigger, error=f"skipped: {message}")
            return None
        except Exception as exc:  # noqa: BLE001 - a scheduled job reports one line, never a traceback dump
            message = self.redactor(str(exc)) if isinstance(exc, AuditorError) else (
                f"internal error {exc.__class__.__name__} (details at -vv)")
            log.debug("scheduled audit %s failed", trigger, exc_info=not isinstance(exc, AuditorError))
            log.error("scheduled audit %s could not run (exit code 2): %s", trigger, message)
            self.results.append({"trigger": trigger, "exit_code": 2})
            notify_after_run(self.config, None, 2, {}, self.redactor, trigger=trigger, error=message)
            return 2
        fail_on = ((planned.event.fail_on if planned.event else None) or config.fail_on).lower()
        out = publish(run, config, fail_on, scheduled_targets(run, reports_dir(config), trigger), self.redactor,
                      policy_specs=policies)
        if out.error:
            log.error("run %s is stored, but its report could not be written: %s", run.id, out.error)
        written = out.reports
        where = written.get("html") or written.get("json")
        from reports.summary import waived_unknowns_line

        still = waived_unknowns_line(run)  # nothing open, yet exit 3: the log line says why
        log.info("scheduled audit %s: run %s %s, %d open findings, exit code %d%s%s", trigger, run.id, run.status,
                 len(run.open_findings()), out.code, f"; {still}" if still else "", f", report {where}" if where else "")
        self.results.append({"trigger": trigger, "exit_code": out.code, "run_id": run.id,
                             "reports": {k: str(v) for k, v in written.items()}})
        return out.code


# --------------------------------------------------------------------------- the scheduler


def glob_escape(text: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def build_scheduler(config: Config, runner, scheduler=None, planned: list[Planned] | None = None,
                    now: datetime | None = None):
    """A scheduler (a BackgroundScheduler unless given) holding the nightly job and one date
    job per upcoming event audit (event audits up to the misfire grace late still run).
    ``planned`` replaces all of them (tests inject short jobs)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    sched = schedule_of(config)
    grace = sched.misfire_grace_seconds
    scheduler = scheduler or BackgroundScheduler()
    scheduler.configure(timezone=ZoneInfo(sched.timezone),
                        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": grace})
    cron = crontab(config)
    if cron is not None and planned is None:
        scheduler.add_job(runner, cron, args=[Planned("schedule:nightly", datetime.now(UTC))], id="nightly",
                          name="schedule:nightly")
    if planned is None:
        the_plan = plan(config, now, count=0, grace=timedelta(seconds=grace))
        for p in the_plan.skipped:
            log.info("skipped %s %d day(s) before %s: its time %s is past", p.trigger, p.days_before,
                     p.event.date.isoformat() if p.event else "-", p.at.isoformat(timespec="minutes"))
        planned = the_plan.upcoming
    for p in planned:
        scheduler.add_job(runner, DateTrigger(run_date=p.at), args=[p], id=p.job_id, name=p.trigger)
    return scheduler


def run_forever(config: Config, runner, scheduler=None, planned: list[Planned] | None = None) -> int:
    """The foreground scheduler. The jobs run in APScheduler's thread pool while the main
    thread waits for SIGTERM/SIGINT; then it stops taking jobs, lets a running audit finish
    and returns 0. A second signal exits at once (the store recovers the stale lock)."""
    import threading

    from apscheduler.events import EVENT_JOB_REMOVED

    scheduler = build_scheduler(config, runner, scheduler, planned=planned)
    jobs = scheduler.get_jobs()
    if not jobs:
        raise ConfigError("nothing to schedule: no nightly line and no upcoming event audit", file=config.path,
                          key="schedule")
    stop_event = threading.Event()
    reason: list[str] = []

    def on_signal(signum, _frame):
        if reason:
            os.write(2, f"auditor: {signal.Signals(signum).name} again: exiting now\n".encode())
            os._exit(1)
        reason.append(signal.Signals(signum).name)
        stop_event.set()

    def on_removed(_event) -> None:
        if not scheduler.get_jobs():
            reason.append("no audits left to schedule")
            stop_event.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.add_listener(on_removed, EVENT_JOB_REMOVED)
        now = datetime.now(UTC)
        for job in jobs:
            nxt = job.trigger.get_next_fire_time(None, now)
            log.info("scheduled %s: next at %s", job.name, nxt.isoformat() if nxt else "-")
        scheduler.start()
        log.info("scheduler started in %s with %d job(s); stop with SIGTERM or Ctrl-C", schedule_of(config).timezone,
                 len(jobs))
        while not stop_event.wait(1.0):
            pass
        log.info("%s: stopping the scheduler (a running audit is allowed to finish)", reason[0])
        scheduler.shutdown(wait=True)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    log.info("scheduler stopped")
    return 0

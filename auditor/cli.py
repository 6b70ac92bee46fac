"""The ``auditor`` command line: a door into the engine, no business logic here.

Exit codes of ``scan`` (CONTRACT.md): 0 clean, 1 open findings at or above --fail-on,
2 nothing scanned (bad command line, config, policy, store), 3 incomplete run.
"""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path

import click

from auditor import __version__
from auditor.doors import SANE_YEARS, fail, load, parse_instant
from auditor.errors import AuditorError, RunNotSaved, UsageError
from auditor.logs import Progress, setup_logging
from auditor.models import SEVERITIES
from auditor.redact import Redactor

log = logging.getLogger("auditor.cli")
SEVERITY = click.Choice(list(SEVERITIES), case_sensitive=False)


class _State:
    """One invocation's state: made by :func:`main` (or by the group for a test runner)."""

    def __init__(self) -> None:
        self.verbosity, self.log_format, self.quiet = 0, "text", False
        self.redactor = Redactor()
        self.run_started = False  # `scan` has begun a run: an unexpected error after that leaves it incomplete

    def setup(self, verbosity: int, log_format: str, quiet: bool) -> _State:
        self.verbosity, self.log_format, self.quiet = verbosity, log_format, quiet
        setup_logging(verbosity, log_format, self.redactor)
        return self


_fail = fail  # the shared helpers of every door live in auditor.doors
_load = load


def _check_writable(*paths: str | None) -> None:
    """Create the folders of the output files asked for (``--json out/2026-11-29.json`` on the
    first night); a folder that cannot be created is a usage error, before anything runs."""
    for p in paths:
        if not p:
            continue
        folder = Path(p).resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _fail(UsageError(f"cannot write {p}: folder {folder} cannot be created ({exc.strerror or exc})"))
        if not folder.is_dir():
            _fail(UsageError(f"cannot write {p}: {folder} is not a folder"))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="auditor")
@click.option("-v", "--verbose", count=True, help="More log detail on stderr (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True,
              help="For cron: nothing on success; errors on stderr, and the short summary when scan exits non-zero.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as plain text (cron mail) or JSON lines (log shippers).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, log_format: str) -> None:
    """Audit the personal data that third-party vendors hold for you.

    Inventories the databases and buckets vendors host, classifies the personal data in
    them by sampling, and flags stale data, ended contracts, missing encryption, public
    exposure and missing retention against declarative policy. Every run is kept.

    Start with `auditor demo`, then write a config (see README) and run `auditor scan`.
    """
    state = ctx.obj if isinstance(ctx.obj, _State) else _State()
    ctx.obj = state.setup(-1 if quiet else verbose, log_format, quiet)


# --------------------------------------------------------------------------- scan


@cli.command()
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The YAML config: vendors, sources, policies, state store.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write findings as CSV here (and datasets next to it, *-datasets.csv).")
@click.option("--ocsf", "ocsf_path", type=click.Path(dir_okay=False),
              help="Write the findings as OCSF Detection Findings here (JSON lines; a JSON array if it ends in .json).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False),
              help="Write a JUnit XML gate report here (a test case per rule, a failure per finding at or above --fail-on).")
@click.option("--metrics", "metrics_path", type=click.Path(dir_okay=False),
              help="Write Prometheus metrics here (a textfile for node_exporter; name it *.prom).")
@click.option("--as-of", "as_of", metavar="ISO8601", help="Run as if it were this instant (ages, contracts, waivers).")
@click.option("--trigger", default="manual", show_default=True,
              help='What started this run, recorded with it (e.g. "event:11.11").')
@click.option("--fail-on", type=SEVERITY, default=None,
              help="Exit 1 when an open finding is at or above this severity. [default: the config's, else high]")
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Audit only this source (repeatable).")
@click.option("--executor", type=click.Choice(["local", "celery"]), default=None,
              help="Collect in this process (local) or on `auditor worker` processes (celery). [default: the config's]")
@click.pass_obj
def scan(state: _State, config_path, json_path, html_path, csv_path, ocsf_path, junit_path, metrics_path, as_of, trigger,
         fail_on, source_ids, executor=None) -> None:
    """Run one full audit and store it.

    \b
    Exit codes: 0 every source assessed, nothing open at or above --fail-on
                1 every source assessed, open findings at or above --fail-on
                2 nothing scanned: bad command line, config, policy or state store
                3 incomplete: a source or dataset could not be assessed
    """
    from auditor.engine import RunOptions, run_audit
    from auditor.publish import Prerender, Targets, publish
    from auditor.schedule import options_for_trigger

    config = _load(config_path)
    _check_writable(json_path, html_path, csv_path, ocsf_path, junit_path, metrics_path)
    at = parse_instant(as_of, "--as-of")
    event = options_for_trigger(config, trigger, at)  # "event:<name>": that event's detail, policies, fail_on
    threshold = (fail_on or event.get("fail_on") or config.fail_on).lower()
    targets = Targets(json=json_path, html=html_path, csv=csv_path, ocsf=ocsf_path, junit=junit_path,
                      metrics=metrics_path)
    rendering = Prerender(targets)  # the HTML report renders in a child process while the run is stored
    options = RunOptions(as_of=at, trigger=trigger, source_ids=source_ids or None, redactor=state.redactor,
                         trigger_detail=event.get("trigger_detail"), policies=event.get("policies"),
                         executor=executor, before_save=rendering)
    _check_executor(config, executor)
    show_progress = sys.stderr.isatty() and not state.quiet
    try:
        with Progress(show_progress) as progress:
            options.progress = progress.callback()
            state.run_started = True
            run = run_audit(config, options)
    except RunNotSaved as exc:  # audited, not stored (a full disk): reports from memory, exit 3, one line
        run = exc.run
        click.echo(f"auditor: error: {state.redactor(str(exc))}", err=True)
    except BaseException as exc:
        rendering.close()  # a run that ended in an error: no report of it
        if isinstance(exc, AuditorError):
            _fail(exc)
        raise

    out = publish(run, config, threshold, targets, state.redactor, policy_specs=event.get("policies"),
                  rendered=rendering)
    if out.error:
        click.echo(f"auditor: error: run {run.id} is stored, but a report could not be written: "
                   f"{out.error} (re-render it with `auditor report --run {run.id}`)", err=True)
    if not state.quiet or out.code != 0:  # quiet (cron): silent on success, the summary when it needs a reader
        try:
            print_summary(run, out.written, out.code)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has what it wanted
            _stdout_gone()
        except OSError as exc:  # stdout to a log on a full disk: the run is stored, its code stands
            _stdout_gone()
            click.echo(f"auditor: warning: the summary could not be printed ({exc.strerror or exc}); "
                       f"run {run.id} is stored (`auditor report --run {run.id}`)", err=True)
    sys.exit(out.code)


def _stdout_gone() -> None:
    """What is still buffered for stdout goes nowhere (flushing it at exit would fail again and turn
    the exit code into Python's 120)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout: nothing is flushed to it
        pass


def _check_executor(config, override: str | None) -> None:
    """The celery executor needs a broker URL: exit 2 before anything runs when there is none."""
    from auditor import executors

    if executors.kind_of(config, override) == "celery":
        from auditor.executors.celery_exec import broker_url

        try:
            broker_url(config)
        except AuditorError as exc:
            _fail(exc)


@cli.command()
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="The same YAML config as the coordinator's (sources resolved from this machine's environment).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None,
              help="Units collected at once by this worker (processes). [default: the config's concurrency]")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork", show_default=True,
              help="Celery pool; time limits need prefork.")
@click.option("--name", default=None, help="Worker name (unique per machine). [default: auditor-PID@host]")
@click.pass_obj
def worker(state: _State, config_path, concurrency, pool, name) -> None:
    """Run a Celery worker that collects the units sent by `auditor scan --executor celery`."""
    from auditor.executors.celery_exec import run_worker

    config = _load(config_path)
    _check_executor(config, "celery")
    from auditor.executors.celery_exec import broker_url

    for s in config.sources:  # the worker's log lines never show a source's or the broker's credentials
        state.redactor.add_from_url(getattr(s.options, "url", None))
    state.redactor.add_from_url(broker_url(config))
    level = {-1: "ERROR", 0: "WARNING", 1: "INFO"}.get(state.verbosity, "DEBUG")
    run_worker(config, concurrency=concurrency, pool=pool, name=name, loglevel=level)


def print_summary(run, written: list[Path], code: int) -> None:
    from collections import Counter

    sev = Counter(f.severity for f in run.open_findings())
    counts = ", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev[s]) or "none"
    waived = sum(1 for f in run.findings if f.status == "waived")
    new = sum(1 for f in run.findings if f.new and f.status == "open")
    click.echo(f"run {run.id} ({run.status}) as of {run.as_of.isoformat(timespec='seconds')}, trigger {run.trigger}")
    click.echo(f"  sources: {len(run.sources)} ({sum(s.status == 'error' for s in run.sources)} failed), "
               f"datasets: {len(run.datasets)} ({sum(d.status == 'error' for d in run.datasets)} not assessed), "
               f"open not-assessed findings: {sum(f.rule == 'not-assessed' for f in run.open_findings())}")
    click.echo(f"  open findings: {counts}; new {new}, resolved {len(run.resolved)}, waived {waived}")
    from reports.summary import not_assessed_lines, summary_lines, waived_unknowns_line

    if line := waived_unknowns_line(run):
        click.echo(f"  {line}")

    for line in summary_lines(run):
        click.echo(f"  {line}" if line else "")
    for s in run.sources:
        if s.status == "error":
            click.echo(f"  NOT ASSESSED source {s.id}: {s.error}")
    for line in not_assessed_lines(run):
        click.echo(f"  {line}")
    for a in run.attestations:  # ignored since its until: what it declared is unknown again
        if a.expired:
            click.echo(f"  attestation expired: {a.where} {a.fact} until {a.until.isoformat()} (ignored; renew it "
                       "with current evidence)")
    for p in written:
        click.echo(f"  report: {p}")
    click.echo(f"  exit code {code}")


# --------------------------------------------------------------------------- report


@cli.command()
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option("--run", "run_id", default="latest", show_default=True, help="A run id, or latest.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False))
@click.option("--html", "html_path", type=click.Path(dir_okay=False))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False))
@click.option("--ocsf", "ocsf_path", type=click.Path(dir_okay=False), help="OCSF Detection Findings (JSON lines or .json array).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="JUnit XML gate report.")
@click.option("--metrics", "metrics_path", type=click.Path(dir_okay=False), help="Prometheus textfile (*.prom).")
@click.option("--fail-on", type=SEVERITY, default=None, help="Threshold of the JUnit failures. [default: the config's]")
@click.option("--list", "list_runs", is_flag=True, help="List the stored runs instead.")
@click.pass_obj
def report(state: _State, config_path, run_id, json_path, html_path, csv_path, ocsf_path, junit_path, metrics_path,
           fail_on, list_runs) -> None:
    """Re-render a stored run (with its diff against the run before it)."""
    from auditor.engine import config_identity
    from auditor.store import Store

    config = _load(config_path, sources=False)
    try:
        store = Store.open(config.state)
        if list_runs:
            listed = store.list_runs(config_identity(config))
            if not listed:
                click.echo("no runs yet for this config: run `auditor scan` first")
            for r in listed:
                click.echo(f"{r['id']}  {r['status']:<8}  as of {_utc_text(r['as_of'])}  "
                           f"started {_utc_text(r['started_at'])}  {r['trigger']}")
            return
        if not (json_path or html_path or csv_path or ocsf_path or junit_path or metrics_path):
            raise UsageError("say what to write: --json FILE, --html FILE, --csv FILE, --ocsf FILE, --junit FILE "
                             "or --metrics FILE")
        _check_writable(json_path, html_path, csv_path, ocsf_path, junit_path, metrics_path)
        rid = store.latest_run_id(config_identity(config)) if run_id == "latest" else run_id
        if rid is None:
            raise UsageError("no stored run yet for this config: run `auditor scan` first")
        run = store.load_run(rid)
    except AuditorError as exc:
        _fail(exc)
    from auditor.publish import Targets, write_targets

    targets = Targets(json=json_path, html=html_path, csv=csv_path, ocsf=ocsf_path, junit=junit_path,
                      metrics=metrics_path)
    for p in write_targets(run, config, targets, (fail_on or config.fail_on).lower(), store=store):
        if not state.quiet:
            click.echo(str(p))


def _utc_text(value) -> str:
    """A stored time for a person: UTC, to the second, with its zone (``2026-11-08 02:00:00 UTC``)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# --------------------------------------------------------------------------- waivers


@cli.command()
@click.argument("finding_id")
@click.option("--reason", required=True, help="Why the risk is accepted (shown in every report).")
@click.option("--until", "until", required=True, metavar="DATE", help="Last day of the waiver (ISO date or date-time).")
@click.option("--by", "by", default=None, help="Who accepted it.")
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Waive an id the store has never seen.")
@click.option("--as-of", "as_of", metavar="ISO8601", help="Judge --until against this instant instead of now.")
@click.pass_obj
def waive(state: _State, finding_id, reason, until, by, config_path, force, as_of) -> None:
    """Accept a finding's risk until a date; it re-opens after.

    A not-assessed finding shows as waived, but the run stays incomplete (exit 3) until the way
    out it names (a grant, a setting, a provider API, an attestation) is taken."""
    from auditor.models import Waiver
    from auditor.store import Store

    config = _load(config_path, sources=False)
    try:
        d = date.fromisoformat(until)
        until_at = datetime.combine(d, time(23, 59, 59), timezone.utc)
    except ValueError:
        until_at = parse_instant(until, "--until")
    if not SANE_YEARS[0] <= until_at.year < SANE_YEARS[1]:
        raise click.BadParameter(f"{until!r} is outside the years {SANE_YEARS[0]}..{SANE_YEARS[1] - 1}",
                                 param_hint="--until")
    now = parse_instant(as_of, "--as-of") or datetime.now(timezone.utc)
    if until_at <= now:
        _fail(UsageError(f"--until {until} is not in the future (now is {now.isoformat(timespec='seconds')}): "
                         "a waiver that has already expired would accept nothing"))
    if not reason.strip(" .…\t"):  # empty, or the report's copied placeholder "..." left as it was
        _fail(UsageError("--reason is empty or a placeholder: say why the risk is accepted (it is shown in every report)"))
    try:
        store = Store.open(config.state)
        severity = store.latest_severity(finding_id)
        if not force and severity is None:
            raise UsageError(f"no finding {finding_id!r} in any stored run (check the id, or use --force)")
        store.add_waiver(Waiver(finding_id=finding_id, reason=reason, until=until_at, by=by, severity=severity,
                                created_at=datetime.now(timezone.utc)))
        found = store.latest_finding(finding_id)
    except AuditorError as exc:
        _fail(exc)
    click.echo(f"waived {finding_id} until {until_at.isoformat()}")
    from reports.summary import waive_note

    for line in waive_note(finding_id, found):  # a waiver never completes a run: say so where it is given
        click.echo(state.redactor(line), err=True)


@cli.group()
def waivers() -> None:
    """Show accepted risks."""


@waivers.command("list")
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def waivers_list(state: _State, config_path) -> None:
    """Every waiver, whether it has expired, and whether its finding still exists."""
    from auditor.engine import config_identity
    from auditor.store import Store

    config = _load(config_path, sources=False)
    store = Store.open(config.state)
    latest = store.latest_run_id(config_identity(config))
    current = {f.id for f in store.findings_of(latest)} if latest else set()
    now = datetime.now(timezone.utc)
    for w in sorted(store.waivers().values(), key=lambda w: w.until):
        state_ = "expired" if w.lapsed(now) else "active"
        stale = "" if w.finding_id in current else "  (stale: the finding is not in the latest run)"
        click.echo(f"{w.finding_id}  {state_} until {w.until.date()}  by {w.by or '-'}: {w.reason}{stale}")


@cli.command()
@click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.pass_obj
def unlock(state: _State, config_path) -> None:
    """Release the state store's run lock left by a run that is gone (its run is marked failed).

    A lock held by a dead process on this host, or held longer than `lock_stale_hours` from
    another host, is taken over automatically; this is for the cases in between.
    """
    from auditor.store import Store

    config = _load(config_path, sources=False)
    try:
        held = Store.open(config.state).force_unlock()
    except AuditorError as exc:
        _fail(exc)
    click.echo(f"released the lock of {held}" if held else "the store was not locked")


# --------------------------------------------------------------------------- policies


@cli.group("policies")
def policies_group() -> None:
    """Check policy files and list the rules in force."""


@policies_group.command("validate")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
              help="Also accept the personal-data types this config's detectors define.")
@click.argument("paths", nargs=-1, required=True)
def policies_validate(config_path, paths) -> None:
    """Validate policy files or folders; exit 2 naming file, line and key on the first error."""
    import policies

    types = _load(config_path, sources=False).personal_data_types() if config_path else None
    try:
        checked = policies.validate_paths(list(paths), types)
    except AuditorError as exc:
        _fail(exc)
    for p in checked:
        click.echo(f"ok: {p}")


@policies_group.command("list")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
              help="Use this config's policy list (default: builtin:baseline).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def policies_list(config_path, as_json) -> None:
    """Every rule in force: id, severity, parameters after overrides, and its file."""
    import json

    import policies

    specs, base, types = ["builtin:baseline"], None, None
    if config_path:
        config = _load(config_path, sources=False)
        specs, base, types = list(config.policies), Path(config.base_dir), config.personal_data_types()
    try:
        rules = policies.describe_rules(policies.load_policies(specs, base, types))
    except AuditorError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(rules, indent=2, default=str))
        return
    click.echo(format_rules(rules))


def _param_text(value) -> str | None:
    """A rule parameter for a person: ``180 days`` not ``180``/``None``/``{}``; None when unset."""
    if value is None or value == {} or value == [] or value == ():
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        inner = [f"{k}: {t}" for k, v in value.items() if (t := _param_text(v)) is not None]
        return "{" + ", ".join(inner) + "}" if inner else None
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(_param_text(v)) for v in value)
    return str(value)


def format_rules(rules: list[dict]) -> str:
    """``policies list`` as a table: a header, one rule a line, parameters readable, unset ones left out."""
    rows = []
    for r in rules:
        params = [f"{k}={t}" for k, v in (r.get("params") or {}).items() if (t := _param_text(v)) is not None]
        rows.append((r["id"] + ("" if r.get("enabled", True) else " (disabled)"), r["severity"],
                     "; ".join(params) or "-", str(r.get("file") or "-")))
    header = ("RULE", "SEVERITY", "PARAMETERS", "FROM")
    widths = [max(len(x[i]) for x in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row[:3])) + "  " + row[3])
    return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------- registered elsewhere


def _register_verbs() -> None:
    """Verbs whose machinery lives in its own module (scheduler, demo, permissions): they ship
    with every install, so an import error here is a bug, never a verb quietly missing."""
    from auditor import demo, permissions, schedule_cli

    for module in (schedule_cli, demo, permissions):
        module.register_cli(cli)


_register_verbs()


def _exit_past_stuck_threads(code: int) -> None:
    """A read abandoned by ``source_timeout_seconds`` may be stuck in a thread the interpreter
    waits for at exit, forever (a non-daemon thread, or any ``concurrent.futures`` pool worker,
    daemon or not). The reports are written
    by now: flush, run the exit hooks (temporary copies removed), and leave without waiting."""
    import atexit
    import os
    import threading

    from concurrent.futures import thread as pool_threads

    pooled = set(getattr(pool_threads, "_threads_queues", {}))  # joined at exit even when daemon
    stuck = [t for t in threading.enumerate()
             if t is not threading.main_thread() and t.is_alive() and (not t.daemon or t in pooled)]
    if not stuck:
        return
    log.warning("%d thread(s) still stuck in a read after the run ended; exiting without waiting for them",
                len(stuck))
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _terminate(signum, _frame) -> None:
    """SIGTERM (a cron timeout, systemd, a pod stopped) and SIGINT (Ctrl-C, a CI job cancelled)
    unwind like an error: the run is marked failed, the lock released, temporary copies removed;
    then the process leaves (128 + signal). Never click's "Aborted!" and exit 1, which the
    contract keeps for "every source assessed, open findings"."""
    import signal

    try:
        sys.stderr.write(f"auditor: error: interrupted by {signal.Signals(signum).name}: "
                         f"the run (if one started) is marked failed; exit {128 + signum}\n")
        sys.stderr.flush()
    except (OSError, ValueError, RuntimeError):  # stderr gone (a closed pipe), or this signal came in the
        pass  # middle of a write to it ('reentrant call'): the exit code still says it
    raise SystemExit(128 + signum)


def main() -> None:
    import signal

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # left alone when ignored (nohup, &)
        signal.signal(signal.SIGINT, _terminate)
    state = _State()  # this invocation's, not a module global: `run_started` decides exit 2 or 3 below
    try:
        cli.main(standalone_mode=True, obj=state)
    except SystemExit as exc:  # every verb ends here; only the real process may leave hard
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _exit_past_stuck_threads(code)
        raise
    except AuditorError as exc:  # anything that slipped past a verb: still one line, exit 2
        click.echo(f"auditor: error: {exc}", err=True)
        _exit_past_stuck_threads(2)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen failure: one line, never exit 1
        log.debug("internal error", exc_info=True)
        from auditor.redact import Redactor

        click.echo(f"auditor: internal error: {exc.__class__.__name__}: {Redactor()(str(exc))} "
                   "(run with -vv for the traceback)", err=True)
        _exit_past_stuck_threads(3 if state.run_started else 2)
        sys.exit(3 if state.run_started else 2)


if __name__ == "__main__":
    main()

"""``auditor demo``: the whole product on one machine, no cloud account, about half a minute.

Starts moto's S3 server, gcp-storage-emulator and a plain-FTP server (pyftpdlib) on free
loopback ports (threads in this process) and SQLite databases, seeds the vendor estate of :mod:`auditor.demo_estate`,
audits it with the real engine and connectors over HTTP, writes HTML, JSON, CSV, OCSF
(JSON lines), JUnit XML and a Prometheus textfile into ``--out``, prints a summary and their
paths, and stops what it started. Run it a second time on the same folder and the vendor has
meanwhile deleted its legacy export: the report shows what was resolved since the first run.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import yaml

DEMO_CONFIG = "auditor-demo.yaml"
# for a SIEM, a CI test tab and node_exporter's textfile collector
DEMO_OUTPUTS = {"ocsf": "findings.ocsf.jsonl", "junit": "junit.xml", "metrics": "auditor.prom"}
# the agency's FTP login: a new password every run, handed to the config through the environment
FTP_USER, FTP_PASSWORD_ENV = "lumen-drop", "AUDITOR_DEMO_FTP_PASSWORD"
ATTESTED_DAYS = 180  # the demo's attestations hold until this many days after the run


def demo_config(out: Path, s3: str, gcs: str, redmart_url: str, payments_url: str,
                ftp: tuple[str, int] = ("127.0.0.1", 21), as_of: datetime | None = None) -> dict:
    until = ((as_of or datetime.now(timezone.utc)) + timedelta(days=ATTESTED_DAYS)).date().isoformat()  # a string: YAML cannot represent a test clock's date type
    agency = {"vendor": "lumen-creative", "source": "lumen-ftp"}
    return {
        "state": "sqlite:///state.db",
        "policies": ["builtin:baseline", "builtin:pdpa-sg"],  # one finding per problem across packs
        "vendors": [
            {"id": "redmart-legacy-host", "name": "RedMart legacy hosting", "contract_end": "2019-03-31",
             "allowed_personal_data": ["email", "phone", "person_name", "postal_address"]},
            {"id": "paybridge", "name": "PayBridge card processing", "contract_end": "2027-12-31",
             "allowed_personal_data": ["payment_card", "person_name"]},
            {"id": "acme-analytics", "name": "Acme Analytics", "contract_end": "2027-06-30",
             "allowed_personal_data": ["email"], "allowed_regions": ["ap-southeast-1", "asia-southeast1"]},
            {"id": "growth-consultant", "name": "Growth consultant (2020 engagement)", "allowed_personal_data": []},
            {"id": "kedai-marketing", "name": "Kedai Marketing", "contract_end": "2027-01-31",
             "allowed_personal_data": ["email", "phone", "person_name"]},
            {"id": "lumen-creative", "name": "Lumen Creative (agency)", "contract_end": "2027-09-30",
             "allowed_personal_data": ["email", "phone", "person_name"]},
        ],
        "sources": [
            {"id": "redmart-db", "vendor": "redmart-legacy-host", "kind": "sql", "url": redmart_url},
            {"id": "payments-db", "vendor": "paybridge", "kind": "sql", "url": payments_url},
            {"id": "acme-s3", "vendor": "acme-analytics", "kind": "s3", "endpoint_url": s3,
             "region": "ap-southeast-1", "buckets": ["acme-*"]},
            {"id": "scrape-s3", "vendor": "growth-consultant", "kind": "s3", "endpoint_url": s3,
             "region": "ap-southeast-1", "buckets": ["growth-*"]},
            {"id": "kedai-gcs", "vendor": "kedai-marketing", "kind": "gcs", "project": "demo", "endpoint": gcs,
             "buckets": ["kedai-*"]},
            {"id": "clean-gcs", "vendor": "acme-analytics", "kind": "gcs", "project": "demo", "endpoint": gcs,
             "buckets": ["acme-clean-*"]},
            {"id": "lumen-ftp", "vendor": "lumen-creative", "kind": "ftp", "host": ftp[0], "port": ftp[1],
             "tls": "none", "user": FTP_USER, "password": "${" + FTP_PASSWORD_ENV + "}",
             "depth": 1},  # the drop's root and its top folders
        ],
        # an FTP server cannot say how its disks are encrypted or how long it keeps files
        "attestations": [
            {"match": agency, "fact": "encryption_at_rest", "value": "provider",
             "evidence": "Agency DPA annex 2, 2019 (hosted disks encrypted by the provider)",
             "by": "vendor-risk@example.com", "until": until},
            {"match": agency, "fact": "has_retention", "value": False,
             "evidence": "Agency DPA annex 2, 2019 (no deletion schedule for received exports)",
             "by": "vendor-risk@example.com", "until": until},
        ],
    }


def run_demo(out: Path, sql_url: str | None = None, quiet: bool = False, as_of: datetime | None = None):
    """Seed, audit, report. Returns (run, paths written)."""
    from auditor.config import load_config
    from auditor.demo_estate import seed_ftp, seed_gcs, seed_s3, seed_sql
    from auditor.emulators import ftp_server, gcs_server, s3_server
    from auditor.engine import RunOptions, run_audit
    from auditor.plugins import load_connectors
    from auditor.publish import Targets, write_targets
    from auditor.store import Store

    out.mkdir(parents=True, exist_ok=True)
    now = as_of or datetime.now(timezone.utc)
    say = (lambda *a: None) if quiet else (lambda msg: click.echo(msg, err=True))
    # moto accepts any key; the connectors use the standard credential chain
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    dbs = out / "vendor-dbs"
    dbs.mkdir(exist_ok=True)
    redmart_url = sql_url or f"sqlite:///{dbs / 'redmart.db'}"
    payments_url = f"sqlite:///{dbs / 'paybridge.db'}"
    state_file = out / "state.db"
    second_round = state_file.exists() and bool(Store.open(f"sqlite:///{state_file}").list_runs(limit=1))
    ftp_root = out / "vendor-ftp"
    seed_ftp(ftp_root, now)
    os.environ[FTP_PASSWORD_ENV] = secrets.token_urlsafe(16)  # never printed nor written: the config says ${VAR}
    started = time.monotonic()
    with s3_server() as s3, gcs_server() as gcs, \
            ftp_server(str(ftp_root), FTP_USER, os.environ[FTP_PASSWORD_ENV], anonymous=True) as ftp:
        say(f"demo: local S3 at {s3}, GCS at {gcs}, FTP at ftp://{ftp[0]}:{ftp[1]}; seeding the vendor estate")
        seed_sql(redmart_url, payments_url, now)
        seed_s3(s3, now, remediated=second_round)
        seed_gcs(gcs, now)
        if second_round:
            say("demo: second round: Acme Analytics has deleted its legacy/ export since the last run")
        cfg_path = out / DEMO_CONFIG
        cfg_path.write_text("# written by `auditor demo`; the endpoints change every run\n"
                            + yaml.safe_dump(demo_config(out, s3, gcs, redmart_url, payments_url, ftp, now),
                                             sort_keys=False))
        load_connectors()  # a composition root: the kinds the demo config names
        config = load_config(cfg_path)
        say(f"demo: auditing {len(config.sources)} sources at {len(config.vendors)} vendors")
        run = run_audit(config, RunOptions(as_of=now, trigger="demo"))
    paths = write_targets(run, config, Targets(
        json=out / "report.json", html=out / "report.html", csv=out / "findings.csv", ocsf=out / DEMO_OUTPUTS["ocsf"],
        junit=out / DEMO_OUTPUTS["junit"], metrics=out / DEMO_OUTPUTS["metrics"]), config.fail_on)
    say(f"demo: done in {time.monotonic() - started:.1f}s")
    return run, paths


def summary_table(run) -> list[str]:
    """The console summary: stale personal data at vendors first, then open findings by severity."""
    from reports.summary import summary_lines

    lines = summary_lines(run)
    lines.append("")
    lines.append(f"run {run.status}: new {sum(f.new for f in run.open_findings())}, "
                 f"resolved since last run {len(run.resolved)}")
    return lines


def register_cli(cli: click.Group) -> None:
    @cli.command()
    @click.option("--out", "out", default="auditor-demo", show_default=True, type=click.Path(file_okay=False),
                  help="Folder for the reports, the demo config and the demo's state store.")
    @click.option("--sql-url", default=None, help="Seed the RedMart store into this database instead of SQLite.")
    @click.pass_obj
    def demo(state, out, sql_url) -> None:
        """Audit a seeded vendor estate on local S3/GCS emulators, an FTP server and SQLite; print the reports' paths."""
        from auditor.errors import AuditorError

        try:
            run, paths = run_demo(Path(out).resolve(), sql_url=sql_url, quiet=getattr(state, "quiet", False))
        except AuditorError as exc:
            click.echo(f"auditor: error: {exc}", err=True)
            sys.exit(2)
        if not getattr(state, "quiet", False):
            for line in summary_table(run):
                click.echo(line)
            click.echo("")
            for p in paths:
                click.echo(f"wrote {p}")
        for kind, name in DEMO_OUTPUTS.items():  # for a SIEM, a CI test tab, node_exporter
            click.echo(f"{kind}: {Path(out).resolve() / name}")
        click.echo(f"report: {Path(out).resolve() / 'report.html'}")
        from auditor.engine import exit_code

        sys.exit(exit_code(run))  # as `auditor scan` would: 1 findings, 3 incomplete

"""The CSV of findings and the CSV of datasets beside it."""

from __future__ import annotations

import csv
from pathlib import Path

from reports.csv_report import DATASET_COLUMNS, FINDING_COLUMNS, write_csv
from reports.write import write_reports
from tests.unit.reports.report_runs import HOSTILE_TABLE, sample_run


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        assert tuple(reader.fieldnames or ()) == (FINDING_COLUMNS if "datasets" not in path.name else DATASET_COLUMNS)
    return rows


def test_findings_and_datasets_files(tmp_path: Path) -> None:
    paths = write_csv(sample_run(), tmp_path / "out" / "audit.csv")
    assert paths == [tmp_path / "out" / "audit.csv", tmp_path / "out" / "audit-datasets.csv"]
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 right
    findings, datasets = read(paths[0]), read(paths[1])
    assert len(findings) == 12 and len(datasets) == 8
    stale = next(r for r in findings if r["rule"] == "stale-personal-data" and r["dataset"] == "public.customers")
    assert stale["severity"] == "high" and stale["status"] == "open" and stale["new"] == "no"
    assert stale["first_seen"] == "2026-03-02T02:00:00Z" and stale["vendor"] == "redmart-legacy-host"
    assert stale["references"] == "GDPR Art. 5(1)(e); PDPA s25"
    assert '"age_days": 2824' in stale["evidence"] and "j***@e***.com" in stale["evidence"]
    waived = next(r for r in findings if r["status"] == "waived")
    assert waived["waiver_by"] == "m.tan (DPO office)" and waived["waiver_until"].startswith("2026-12-31")
    assert waived["waiver_expired"] == "no"
    assert {r["run_id"] for r in findings} == {"run-20261108-0200-7f3a"}


def test_unknown_facts_read_unknown(tmp_path: Path) -> None:
    _, path = write_csv(sample_run(), tmp_path / "a.csv")
    rows = {r["name"]: r for r in read(path)}
    audit = rows["public.audit_log"]
    for col in ("records", "bytes", "last_modified", "age_days", "region", "has_retention", "retention_days", "versioning"):
        assert audit[col] == "unknown", col
    assert audit["personal_data_types"] == "none found" and audit["public"] == "no"
    assert rows["acme-exports-logs"]["personal_data_types"] == "unknown"
    assert rows["acme-exports-logs"]["public"] == "unknown"
    assert rows["acme-exports-logs"]["encryption_at_rest"] == "unknown"
    customers = rows["public.customers"]
    assert customers["records"] == "1104212" and customers["age_days"] == "2823"
    assert customers["personal_data_types"] == "email; password_hash; person_name; phone; postal_address"
    assert "email:200 in email" in customers["personal_data"]
    assert rows["acme-exports/legacy/2019-export/"]["parent"] == "acme-exports"


def test_names_from_audited_stores_cannot_become_formulas(tmp_path: Path) -> None:
    run = sample_run(hostile=True)
    evil = run.datasets[-2].model_copy(update={"name": "=HYPERLINK(\"http://x\",\"y\")", "region": "+1", "uri": "@SUM(A1)"})
    run = run.model_copy(update={"datasets": (*run.datasets, evil)})
    findings_path, datasets_path = write_csv(run, tmp_path / "h.csv")
    rows = read(datasets_path)
    last = rows[-1]
    assert last["name"] == "'=HYPERLINK(\"http://x\",\"y\")" and last["region"] == "'+1" and last["uri"] == "'@SUM(A1)"
    assert any(r["name"] == HOSTILE_TABLE for r in rows)  # not a formula: kept as is
    assert len(read(findings_path)) == 14


def test_write_reports_writes_csv_and_html(tmp_path: Path) -> None:
    written = write_reports(sample_run(), html_path=tmp_path / "r.html", csv_path=tmp_path / "r.csv")
    assert [p.name for p in written] == ["r.html", "r.csv", "r-datasets.csv"]
    assert (tmp_path / "index.html").exists() and (tmp_path / "index.json").exists()

"""A bucket's tags come from the audited store: a tag value that is an e-mail or a phone number (an
owner, a contact) or a tag key that is an address is masked like every other name the run keeps. Tags
reached the JSON report and the state store as written. Real moto S3, through the CLI."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from auditor.cli import cli


def test_bucket_tags_holding_values_are_masked_in_the_report_and_the_store(s3_url, s3_admin, tmp_path):
    s3_admin.create_bucket(Bucket="tagged-exports")
    s3_admin.put_object(Bucket="tagged-exports", Key="a.csv", Body=b"email\nana.tan@example.com\n")
    s3_admin.put_bucket_tagging(Bucket="tagged-exports", Tagging={"TagSet": [
        {"Key": "owner", "Value": "tag.owner@example.com"}, {"Key": "contact", "Value": "+65 9123 4567"},
        {"Key": "jane.doe@example.com", "Value": "x"}, {"Key": "env", "Value": "prod"}]})
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "s3", "vendor": "v", "kind": "s3", "endpoint_url": s3_url,
                                                "region": "us-east-1", "buckets": ["tagged-exports"]}]}))
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z", "--json", str(out)])
    assert r.exit_code in (0, 1, 3), r.output
    doc = json.loads(out.read_text())
    [ds] = [d for d in doc["datasets"] if d["name"] == "tagged-exports"]
    assert ds["tags"]["env"] == "prod" and ds["tags"]["owner"] == "t***@e***.com", ds["tags"]
    store = (tmp_path / "state.db").read_bytes().decode("latin-1")
    for raw in ("tag.owner", "9123 4567", "jane.doe"):
        assert raw not in out.read_text() and raw not in store and raw not in r.output, raw


def test_a_public_object_named_by_an_address_is_masked_in_the_public_reasons(s3_url, s3_admin, tmp_path):
    """The reason a bucket is public names the object whose ACL grants AllUsers: its key, when it is
    an address, reached public_reasons (dataset and finding evidence) in every report as written."""
    s3_admin.create_bucket(Bucket="acl-exports")
    s3_admin.put_object(Bucket="acl-exports", Key="cards/jane.roe@example.com.csv", Body=b"email\nana.tan@example.com\n")
    s3_admin.put_object_acl(Bucket="acl-exports", Key="cards/jane.roe@example.com.csv", ACL="public-read")
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"state": f"sqlite:///{tmp_path}/state.db", "vendors": [{"id": "v"}],
                                   "sources": [{"id": "s3", "vendor": "v", "kind": "s3", "endpoint_url": s3_url,
                                                "region": "us-east-1", "buckets": ["acl-exports"]}]}))
    outs = [tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.ocsf.jsonl", tmp_path / "r.html"]
    r = CliRunner().invoke(cli, ["scan", "-c", str(cfg), "--as-of", "2026-11-28T00:00:00Z", "--json", str(outs[0]),
                                 "--csv", str(outs[1]), "--ocsf", str(outs[2]), "--html", str(outs[3])])
    assert r.exit_code in (0, 1, 3), r.output
    doc = json.loads(outs[0].read_text())
    reasons = [x for d in doc["datasets"] for x in d["public_reasons"]]
    assert any("AllUsers" in x and "j***@e***.com" in x for x in reasons), reasons
    texts = [p.read_text() for p in (*outs, tmp_path / "r-datasets.csv")]
    for text in (*texts, r.output, (tmp_path / "state.db").read_bytes().decode("latin-1")):
        assert "jane.roe" not in text

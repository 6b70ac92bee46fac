"""Cron runs with a minimal environment (no HOME, no AWS_PROFILE): boto3 finds no credentials. The
source said "cannot reach <endpoint>: NoCredentialsError", which sends whoever reads the cron mail
after the network; it now says no credentials were found and where they are looked for."""

from __future__ import annotations

import pytest

from auditor.errors import ConnectorError
from connectors.s3 import Connector



def _connector(endpoint: str) -> Connector:
    from datetime import UTC, datetime

    from auditor.models import Vendor
    from connectors.base import CollectContext, SourceSpec

    opts = Connector.Options(buckets=["*"], endpoint_url=endpoint, region="us-east-1")
    return Connector(SourceSpec(id="src", kind="s3", vendor=Vendor(id="vendor"), options=opts),
                     CollectContext(as_of=datetime.now(UTC)))


def test_no_credentials_is_named_as_such_not_as_an_unreachable_endpoint(s3_url, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ConnectorError) as e:
        list(_connector(s3_url).collect())
    text = str(e.value)
    assert "cannot reach" not in text and "no AWS credentials" in text, text

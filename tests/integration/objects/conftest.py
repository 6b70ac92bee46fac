"""Session-scoped object-store endpoints (moto S3 server, gcp-storage-emulator) and helpers.

Both servers run in this process on free loopback ports (auditor.emulators), so seeding
can backdate writes with freezegun. Tests talk to them over HTTP through the connectors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from auditor.emulators import gcs_server, s3_server
from auditor.models import CollectionError, Observation, Vendor
from connectors.base import CollectContext, SourceSpec

DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(autouse=True)
def aws_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_admin(s3_url: str) -> Any:
    """A boto3 client for seeding (dummy keys; moto accepts any while auth is off)."""
    return boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **DUMMY_KEYS)


@pytest.fixture(scope="session")
def gcs_url() -> Iterator[str]:
    with gcs_server() as url:
        yield url


@pytest.fixture(scope="session")
def gcs_admin(gcs_url: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="test-project", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": gcs_url})


class Collected:
    """What one collect() yielded, indexed by dataset name."""

    def __init__(self, items: list[Observation | CollectionError]) -> None:
        self.items = items
        self.obs = {i.dataset.name: i for i in items if isinstance(i, Observation)}
        self.errors = [i for i in items if isinstance(i, CollectionError)]

    def ds(self, name: str) -> Any:
        assert name in self.obs, f"no dataset {name!r}; got {sorted(self.obs)}"
        return self.obs[name].dataset

    def sample(self, name: str) -> Any:
        return self.obs[name].sample


def run_connector(connector_cls: Any, kind: str, **options: Any) -> Collected:
    opts = connector_cls.Options(**options)
    source = SourceSpec(id="src", kind=kind, vendor=Vendor(id="vendor"), options=opts)
    ctx = CollectContext(as_of=datetime.now(UTC))
    return Collected(list(connector_cls(source, ctx).collect()))


@pytest.fixture
def collect_s3(s3_url: str) -> Callable[..., Collected]:
    from connectors.s3 import Connector

    def run(*buckets: str, **options: Any) -> Collected:
        options.setdefault("endpoint_url", s3_url)
        options.setdefault("region", "us-east-1")
        return run_connector(Connector, "s3", buckets=list(buckets) or ["*"], **options)

    return run


@pytest.fixture
def collect_gcs(gcs_url: str) -> Callable[..., Collected]:
    from connectors.gcs import Connector

    def run(*buckets: str, **options: Any) -> Collected:
        options.setdefault("endpoint", gcs_url)
        options.setdefault("project", "test-project")
        return run_connector(Connector, "gcs", buckets=list(buckets) or ["*"], **options)

    return run


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

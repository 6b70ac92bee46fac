"""Review: a database whose name holds an '@' (PostgreSQL allows "a@b"), written URL-encoded as the
'@'-in-password message itself says ('@' is %40), is a valid URL and must be accepted, in a sql
source's url and in state: make_url decodes the database, so the check refused it however written.
A password with a raw '@' (the rest read as host or database) stays a config error."""

from __future__ import annotations

import pytest

from auditor.config import load_config
from auditor.errors import AuditorError
from auditor.plugins import load_connectors

CONFIG = """\
state: {state}
vendors: [{{id: v1}}]
sources:
  - id: db
    vendor: v1
    kind: sql
    url: "{url}"
"""


def _load(tmp_path, url: str, state: str = "sqlite:///state.db"):
    load_connectors()
    path = tmp_path / "auditor.yaml"
    path.write_text(CONFIG.format(url=url, state=state))
    return load_config(path)


def test_an_encoded_at_in_the_database_name_is_accepted(tmp_path):
    config = _load(tmp_path, "postgresql://auditor:pw@127.0.0.1:5432/shop%40eu",
                   state="postgresql://auditor:pw@127.0.0.1:5432/state%40eu")
    assert config.sources[0].options.url.endswith("/shop%40eu")


@pytest.mark.parametrize("url", ["postgresql://auditor:p@ss@127.0.0.1/shop",
                                 "postgresql://auditor:p/w@x@127.0.0.1/shop",
                                 "postgresql://auditor:pw@127.0.0.1/shop@eu"])
def test_a_raw_at_after_the_password_is_still_a_config_error(tmp_path, url):
    with pytest.raises(AuditorError, match="%40"):
        _load(tmp_path, url)
    with pytest.raises(AuditorError, match="%40"):
        _load(tmp_path, "sqlite:///vendor.db", state=url)

"""A password with an unencoded '@' substituted into a sql source's URL (``postgresql://u:${DB_PASSWORD}@host/db``
with ``DB_PASSWORD='p@ss/w:rd$x'``) made SQLAlchemy read part of the password as the host and
database: the run went on, and "cannot connect to postgresql://ss/w%3Ard%24x%40127.0.0.1..." put
that part of the password in the summary, the log, the JSON report and the state store (the
redactor knows the password, not its URL-encoded pieces). Now a config error, naming file, line
and key, and nothing of the value."""

from __future__ import annotations

import pytest

from auditor.config import load_config
from auditor.errors import AuditorError
from auditor.plugins import load_connectors

CONFIG = """\
state: sqlite:///state.db
vendors: [{id: v1}]
sources:
  - id: db
    vendor: v1
    kind: sql
    url: "postgresql://auditor:${OPS_T_DB_PASSWORD}@127.0.0.1:5432/shop"
"""


@pytest.mark.parametrize("password", ["p@ss/w:rd$x", "S3cr3t/Pa55@prod", "a@b"])
def test_an_unencoded_at_sign_in_a_url_password_is_a_config_error_that_shows_nothing_of_it(tmp_path, monkeypatch,
                                                                                            password):
    load_connectors()
    monkeypatch.setenv("OPS_T_DB_PASSWORD", password)
    path = tmp_path / "auditor.yaml"
    path.write_text(CONFIG)
    with pytest.raises(AuditorError) as e:
        load_config(path)
    text = str(e.value)
    assert "auditor.yaml:7" in text and "sources[0].url" in text and "%40" in text, text
    for piece in password.replace("/", "@").split("@"):
        if len(piece) >= 3:
            assert piece not in text, text


@pytest.mark.parametrize("url", ["postgresql://auditor:p%40ss%2Fw%3Ard@127.0.0.1:5432/shop",
                                 "postgresql://auditor:pass/word@127.0.0.1:5432/shop",
                                 "sqlite:////srv/exports/vendor@acme/shop.db",
                                 "mysql+pymysql://auditor@127.0.0.1:3306/shop"])
def test_urls_that_parse_as_meant_still_load(tmp_path, url):
    load_connectors()
    path = tmp_path / "auditor.yaml"
    path.write_text(CONFIG.replace("postgresql://auditor:${OPS_T_DB_PASSWORD}@127.0.0.1:5432/shop", url))
    assert load_config(path).sources[0].options.url == url


def test_the_state_url_is_checked_likewise(tmp_path, monkeypatch):
    """The store's own URL: "cannot open the state store postgresql://postgres:***@Secret/Zz9%40..." put
    the rest of the password in the cron mail."""
    monkeypatch.setenv("OPS_T_STATE_PASSWORD", "Xy@Secret/Zz9")
    path = tmp_path / "auditor.yaml"
    path.write_text('state: "postgresql://auditor:${OPS_T_STATE_PASSWORD}@127.0.0.1:5432/state"\nvendors: [{id: v1}]\n')
    with pytest.raises(AuditorError) as e:
        load_config(path, sources=False)
    text = str(e.value)
    assert "auditor.yaml:1" in text and "state" in text and "%40" in text, text
    assert "Secret" not in text and "Zz9" not in text, text

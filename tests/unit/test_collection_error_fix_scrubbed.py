"""A collection error's fix names what to grant, and since the grants name the exact table
(``GRANT SELECT ON "crm"."jane.doe@example.com" TO "auditor"``) and the database
(``GRANT SELECT ON `x`.* ...``), it carries names from the audited store; since the fix is also
the not-assessed finding's remediation, it reached every report. The engine masks it like the
error's reason and dataset."""

from __future__ import annotations

import threading

from auditor import engine
from auditor.models import CollectionError
from auditor.redact import Redactor
from policies.evaluate import not_assessed_errors
from tests.unit.test_engine_overlap import AS_OF, config, scripted  # noqa: F401 - the fixture


def test_a_collection_errors_fix_is_scrubbed_like_its_reason(scripted, tmp_path):  # noqa: F811
    def script(connector):
        yield CollectionError(source=connector.source.id, dataset="crm.jane.doe@example.com", kind="table",
                              reason="table crm.jane.doe@example.com not found or not visible to the audit identity",
                              fix='check the name (schema.table), and GRANT SELECT ON "crm"."jane.doe@example.com" '
                                  'TO "auditor"')
    scripted["main"] = script
    cfg = config(tmp_path)
    out = engine._collect_source(cfg.sources[0], cfg, AS_OF, threading.Event(), Redactor(), None)
    assert len(out.errors) == 1
    err = out.errors[0]
    assert "jane.doe@example.com" not in err.reason and "jane.doe@example.com" not in (err.dataset or "")
    assert err.fix and "GRANT SELECT ON" in err.fix
    assert "jane.doe@example.com" not in err.fix
    findings = not_assessed_errors([out.result], [], out.errors)
    assert findings and all("jane.doe@example.com" not in f.remediation for f in findings)

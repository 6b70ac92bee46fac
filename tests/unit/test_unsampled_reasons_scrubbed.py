"""An object's unsampled reason lists the parts of it that were not read, by name: a ZIP's or a
tarball's members, an e-mail's attachments (28adc19, e49a018): 'eml: attachment
'passport_jane.doe@example.com.pdf': ...'. The keys of facts["unsampled"] were masked, their
reasons were not, so a name made of personal data reached the JSON report and the state store."""

from __future__ import annotations

from email.message import EmailMessage

from auditor import engine
from auditor.models import Dataset
from connectors.readers import read_object

ADDRESS = "jane.doe@example.com"


def _mail_with_unreadable_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "support@vendor.example", "ops@vendor.example", "ticket 4411"
    msg.set_content("see attached")
    msg.add_attachment(b"\x00\x01\x02binary" * 50, maintype="application", subtype="octet-stream",
                       filename=f"passport_{ADDRESS}.bin")
    return msg.as_bytes()


def test_an_unread_attachment_is_named_and_its_name_is_masked_in_what_the_run_keeps():
    data = _mail_with_unreadable_attachment()
    result = read_object("tickets/4411.eml", len(data), lambda s, e: data[s: e + 1], 1 << 20)
    assert result.partial and ADDRESS in result.partial  # named (as it should be), by its name
    ds = Dataset(source="s3", vendor="v", kind="prefix", name="tickets/", uri="s3://b/tickets/",
                 facts={"unsampled": {"tickets/4411.eml": result.partial}})
    kept = engine.scrubbed(ds)
    [(key, why)] = kept.facts["unsampled"].items()
    assert key == "tickets/4411.eml" and "attachment" in why
    assert ADDRESS not in why, why

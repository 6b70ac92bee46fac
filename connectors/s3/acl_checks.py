"""Object ACLs: single objects made public although the bucket is not.

Unless the bucket's Object Ownership is ``BucketOwnerEnforced`` (ACLs disabled) or its public
access block sets ``IgnorePublicAcls``, any object can carry an ``AllUsers`` /
``AuthenticatedUsers`` grant. The connector checks the ACLs of the objects it samples
(GetObjectAcl): a public one makes the bucket public. A bucket is public only on evidence:
when none of the checked objects is public, the bucket-level verdict stands, and the fact
``facts["object_acls"]`` (:class:`auditor.models.ObjectAcls`: enabled, checked of total,
public) lets the policies report the enabled ACLs as a finding of their own (Security Hub
S3.12). Exposure is unknown only when an object ACL read was refused or failed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.models import ObjectAcls
from connectors import objects
from connectors.s3 import facts as s3facts
from connectors.runtime import ordered_map

MAX_REASONS = 5  # object keys named in public_reasons; the count is always given


def exposure(client: Any, bucket: str, tree: objects.PrefixTree, common: dict[str, Any], evidence: dict[str, Any],
             cancel: threading.Event, pool: ThreadPoolExecutor | None = None, ahead: int = 8) -> dict[str, Any]:
    """Updates of the bucket's Dataset fields (public, public_reasons, denied) from object ACLs.

    The ACL reads run on ``pool`` (at most ``ahead`` at a time) when one is given; the outcome is
    tallied in the picks' order, as when they run one after the other."""
    applies = evidence.get("object_acls_apply")
    if applies is False:
        return {}
    picks = [p for node in tree for p in tree.picks(node)]

    def read(pick: objects.Pick) -> Any:
        if cancel.is_set():
            return None
        try:
            return client.get_object_acl(Bucket=bucket, Key=pick.key)
        except (ClientError, BotoCoreError) as exc:
            if s3facts.error_code(exc) in ("NoSuchKey", "NotFound"):  # deleted since it was listed: not refused
                return objects.GONE
            return f"{s3facts.CALLS['get_object_acl']}: {s3facts.error_code(exc)}"

    picks, results = objects.without_gone(picks, ordered_map(read, picks, pool, ahead))
    tally = objects.tally_acls(picks, results,
                               lambda pick, acl: s3facts.object_acl_public(acl, pick.key), MAX_REASONS)
    checked, public_objects, reasons, denied = tally.checked, tally.public, tally.reasons, tally.denied
    setting = ("Object Ownership could not be read" if applies is None else
               f"Object Ownership {evidence.get('object_ownership')}, IgnorePublicAcls off")
    evidence["object_acls"] = ObjectAcls(enabled=applies, checked=checked, total=tree.root.objects,
                                         public=public_objects, refused=len(picks) - checked,
                                         setting=setting).model_dump()
    out: dict[str, Any] = {}
    if denied:
        out["denied"] = (*common["denied"], *denied)
    if public_objects:
        more = [f"object acl: {public_objects} of {checked} checked objects are public"]
        out["public"] = True
        out["public_reasons"] = (*common.get("public_reasons", ()), *more, *reasons)
        return out
    if common.get("public") is True or checked == len(picks):
        return out  # the bucket-level evidence decides; enabled ACLs are their own finding
    out["public"] = None  # an object ACL read was refused or failed: its exposure is unknown
    out["public_reasons"] = ()
    evidence["public_unknown_reason"] = (
        f"object ACLs may apply ({setting}) and {len(picks) - checked} of the {len(picks)} sampled objects' "
        "ACLs could not be read")
    return out


def from_inventory(tally: Any, objects_total: int, common: dict[str, Any], evidence: dict[str, Any],
                   report: str) -> dict[str, Any]:
    """:func:`exposure` from an inventory report's ``ObjectAccessControlList`` of every current object
    (``tally``: :class:`connectors.inventory.Tally`) instead of sampled GetObjectAcl reads."""
    applies = evidence.get("object_acls_apply")
    if applies is False:
        return {}
    setting = ("Object Ownership could not be read" if applies is None else
               f"Object Ownership {evidence.get('object_ownership')}, IgnorePublicAcls off")
    checked, public_objects, unavailable = tally.acl_checked, tally.acl_public, tally.acl_unavailable
    evidence["object_acls"] = ObjectAcls(enabled=applies, checked=checked, total=objects_total,
                                         public=public_objects, refused=unavailable,
                                         setting=f"{setting} (ACLs from the {report})").model_dump()
    out: dict[str, Any] = {}
    if public_objects:
        more = [f"object acl: {public_objects} of {checked} objects in the {report} are public"]
        out["public"] = True
        out["public_reasons"] = (*common.get("public_reasons", ()), *more, *tally.acl_reasons[:MAX_REASONS])
        return out
    if common.get("public") is True or not unavailable:
        return out
    out["public"] = None  # some objects' ACLs are not in the report: their exposure is unknown
    out["public_reasons"] = ()
    evidence["public_unknown_reason"] = (
        f"object ACLs may apply ({setting}) and the {report} has no ACL for {unavailable} objects "
        "(status UNAVAILABLE)")
    return out

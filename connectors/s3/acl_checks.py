"""Object ACLs: single objects made public although the bucket is not.

Unless the bucket's Object Ownership is ``BucketOwnerEnforced`` (ACLs disabled) or its public
access block sets ``IgnorePublicAcls``, any object can carry an ``AllUsers`` /
``AuthenticatedUsers`` grant. The connector checks the ACLs of the objects it samples
(GetObjectAcl): a public one makes the bucket public. When none is public, the bucket-level
verdict stands only where ACLs cannot apply; elsewhere "not public" is unknown (the objects
not checked may be public), and the reason is kept in ``facts``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors import objects
from connectors.s3 import facts as s3facts
from connectors.s3.runtime import ordered_map

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
    reasons: list[str] = []
    public_objects = checked = 0
    denied: list[str] = []

    def read(pick: objects.Pick) -> Any:
        if cancel.is_set():
            return None
        try:
            return client.get_object_acl(Bucket=bucket, Key=pick.key)
        except (ClientError, BotoCoreError) as exc:
            return f"{s3facts.CALLS['get_object_acl']}: {s3facts.error_code(exc)}"

    for pick, resp in zip(picks, ordered_map(read, picks, pool, ahead)):
        if resp is None:  # cancelled
            break
        if isinstance(resp, str):
            if resp not in denied:
                denied.append(resp)
            continue
        checked += 1
        found = s3facts.object_acl_public(resp, pick.key)
        if found:
            public_objects += 1
            if len(reasons) < MAX_REASONS:
                reasons.extend(found)
    why = ("whether object ownership is BucketOwnerEnforced or IgnorePublicAcls is set could not be read"
           if applies is None else
           f"object ownership is {evidence.get('object_ownership')} and IgnorePublicAcls is not set")
    evidence["object_acls"] = {"objects_checked": checked, "public_objects": public_objects,
                               "objects_sampled": len(picks), "why_checked": f"object ACLs may apply: {why}"}
    out: dict[str, Any] = {}
    if denied:
        out["denied"] = (*common["denied"], *denied)
    if public_objects:
        more = [f"object acl: {public_objects} of {checked} checked objects are public"]
        out["public"] = True
        out["public_reasons"] = (*common.get("public_reasons", ()), *more, *reasons)
        return out
    if common.get("public") is True:
        return out
    out["public"] = None
    out["public_reasons"] = ()
    evidence["public_unknown_reason"] = (
        f"object ACLs may apply ({why}): any object may be public through its own ACL; {checked} of the {len(picks)} sampled objects "
        "were checked and none is public, the other objects were not checked")
    return out

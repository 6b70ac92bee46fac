"""Object ACLs on GCS: single objects made public in a bucket with fine-grained access.

Unless uniform bucket-level access is on (object ACLs then do not apply) or public access
prevention is enforced (nothing can be public), any object can carry an ``allUsers`` /
``allAuthenticatedUsers`` ACL entry. The connector reads the ACLs of the objects it samples,
as the S3 connector does: a public one makes the bucket public. A bucket is public only on
evidence: when none of the checked objects is public the bucket-level verdict stands, and the
fact ``facts["object_acls"]`` (:class:`auditor.models.ObjectAcls`: enabled, checked of total,
public) lets the policies report the fine-grained ACLs as a finding of their own. Exposure is
unknown only when an object ACL read was refused or failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from auditor.models import ObjectAcls
from connectors import objects
from connectors.gcs import facts as gcsfacts
from connectors.runtime import ordered_map

MAX_REASONS = 5  # object names in public_reasons; the count is always given


def exposure(bucket: Any, tree: objects.PrefixTree, common: dict[str, Any], evidence: dict[str, Any],
             read_acl: Callable[[Any], list[dict[str, Any]]], errors: tuple[type[BaseException], ...],
             code: Callable[[BaseException], str], cancel: threading.Event,
             pool: ThreadPoolExecutor | None = None, ahead: int = 8) -> dict[str, Any]:
    """Updates of the bucket's Dataset fields (public, public_reasons, encryption_in_transit, denied).

    The ACL reads run on ``pool`` (at most ``ahead`` at a time) when one is given; the outcome is
    tallied in the picks' order, as when they run one after the other."""
    if evidence.get("uniform_bucket_level_access") or evidence.get("public_access_prevention") == "enforced":
        return {}
    picks = [p for node in tree for p in tree.picks(node)]

    def read(pick: objects.Pick) -> Any:
        if cancel.is_set():
            return None
        try:
            return read_acl(bucket.blob(pick.key))
        except errors as exc:
            if code(exc) == "NotFound":  # deleted since it was listed: nothing to check, nothing refused
                return objects.GONE
            return f"{gcsfacts.CALLS['get_object_acl']}: {code(exc)}"

    picks, results = objects.without_gone(picks, ordered_map(read, picks, pool, ahead))
    tally = objects.tally_acls(picks, results, _public_grants, MAX_REASONS)
    checked, public_objects, reasons, denied = tally.checked, tally.public, tally.reasons, tally.denied
    total = tree.root.objects
    evidence["object_acls"] = ObjectAcls(enabled=True, checked=checked, total=total, public=public_objects,
                                         refused=len(picks) - checked,
                                         setting="uniform bucket-level access off (fine-grained ACLs)").model_dump()
    out: dict[str, Any] = {}
    if denied:
        out["denied"] = (*common["denied"], *denied)
    public: bool | None
    if public_objects:
        public = True
        out["public_reasons"] = (*common.get("public_reasons", ()),
                                 f"object acl: {public_objects} of {checked} checked objects are public", *reasons)
    elif common.get("public") is True or checked == len(picks):
        return out  # the bucket-level evidence decides; fine-grained ACLs are their own finding
    else:
        public = None  # an object ACL read was refused or failed: its exposure is unknown
        out["public_reasons"] = ()
        evidence["public_unknown_reason"] = (
            f"uniform bucket-level access is off, so any object may be public through its own ACL, and "
            f"{len(picks) - checked} of the {len(picks)} sampled objects' ACLs could not be read")
    out["public"] = public
    out["encryption_in_transit"], evidence["encryption_in_transit_basis"] = gcsfacts.transit_from_exposure(public)
    return out


def _public_grants(pick: objects.Pick, entries: list[dict[str, Any]]) -> list[str]:
    return [f"object acl: {pick.key} {e.get('entity')} {e.get('role')}" for e in entries
            if e.get("entity") in gcsfacts.EVERYONE]

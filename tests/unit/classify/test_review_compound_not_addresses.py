"""Review: the compound-cell e-mail pass (21f7a7c) read the user part of a URL (``postgresql://app@db.acme.com:5432/x``)
and of a git/scp remote (``git@github.com:acme/svc.git``) as e-mail addresses: a column of repository remotes or
database DSNs was reported as holding one e-mail per row (whole-value validation never did). Real addresses in
compound cells stay found, also in a URL's query or a ``user:role`` pair."""

from __future__ import annotations

import pytest

from auditor.classify import classify
from auditor.models import Sample


def _found(values: list[str], field: str) -> dict[str, int]:
    return {pd.type: pd.count for pd in classify(Sample(fields={field: values}))}


@pytest.mark.parametrize(("field", "shape"), [
    ("remote", "git@github.com:acme/svc{i}.git"),
    ("remote", "ssh://git@gitlab.acme.com:2222/acme/svc{i}.git"),
    ("dsn", "postgresql://app@db{i}.acme.com:5432/x"),
    ("dsn", "mysql://app:pw{i}@db{i}.acme.com/x"),
])
def test_the_user_part_of_a_url_or_remote_is_no_email(field: str, shape: str) -> None:
    assert _found([shape.format(i=i) for i in range(200)], field).get("email", 0) == 0


@pytest.mark.parametrize("shape", [
    "https://crm.acme.com/contact?email=jt{i}@latinmail.example.com&x=1",
    "jt{i}@latinmail.example.com:owner",
    "Jose Tan <jt{i}@latinmail.example.com>",
])
def test_addresses_in_compound_cells_are_still_found(shape: str) -> None:
    assert _found([shape.format(i=i) for i in range(200)], "contact").get("email", 0) >= 200

"""What field names and key paths say (context hints), table-driven."""

from __future__ import annotations

import pytest

from auditor.classify.hints import field_hints, normalise_name


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("customer.email", "customer_email"),
        ("items[].cardNumber", "items_card_number"),
        ("IPAddress", "ip_address"),
        ("a.b.c.last4", "c_last4"),
    ],
)
def test_normalise_name(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


@pytest.mark.parametrize(
    ("name", "types"),
    [
        ("customer.email", {"email"}),
        ("EmailAddress", {"email"}),
        ("email_verified", set()),
        ("mobile", {"phone"}),
        ("shipping.phoneNumber", {"phone"}),
        ("nric", {"national_id"}),
        ("customer.nik", {"national_id"}),
        ("id", set()),
        ("order_id", set()),
        ("card_number", {"payment_card"}),
        ("items[].card", {"payment_card"}),
        ("card.last4", {"payment_card_partial"}),
        ("card_last4", {"payment_card_partial"}),
        ("masked_pan", {"payment_card_partial"}),
        ("card_brand", set()),
        ("card_expiry", set()),
        ("password", {"password_hash"}),
        ("user.passwordDigest", {"password_hash"}),
        ("password_changed_at", set()),
        ("build_sha", set()),
        ("name", {"person_name"}),
        ("customer.name", {"person_name"}),
        ("firstName", {"person_name"}),
        ("product_name", set()),
        ("product.name", set()),
        ("username", set()),
        ("shipping_address", {"postal_address"}),
        ("billing.address", {"postal_address"}),
        ("email_address", {"email"}),
        ("ip_address", {"ip_address"}),
        ("remote_addr", {"ip_address"}),
        ("dob", {"date_of_birth"}),
        ("birth_date", {"date_of_birth"}),
        ("created_at", set()),
        ("sku", set()),
    ],
)
def test_field_hints(name: str, types: set[str]) -> None:
    assert set(field_hints(name)) == types

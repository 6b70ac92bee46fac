"""A policy's personal-data-held ``detail`` may name only the keys the classifier writes
(auditor.models.DETAIL_KEYS): every key it writes must be in that list, or a valid policy
would be refused."""

from auditor.classify import classify
from auditor.models import DETAIL_KEYS, Sample

COLUMNS = {
    "email": ["ann@example.com", "bob@example.org"] * 5,
    "phone": ["+6591234567", "+14155552671"] * 5,
    "card_number": ["4111111111111111", "5555555555554444"] * 5,
    "card_masked": ["411111******1111", "555555******4444"] * 5,
    "nric": ["S1234567D", "T0123456G", "F1234567N"] * 4,
    "password": ["5f4dcc3b5aa765d61d8327deb882cf99", "$2b$12$KIXQJ0i1hZ0Gm6bZQvQ7OeQ9yY3Jk1p5rS8cW1d2e3f4g5h6i7j8k"] * 5,
    "ip": ["10.0.0.1", "2001:db8::1"] * 5,
    "address": ["1 Raffles Place, Singapore 048616", "10 Downing Street"] * 5,
    "postal_code": ["048616", "238801"] * 5,
    "full_name": ["Ann Lee", "Bob Tan"] * 5,
    "date_of_birth": ["1980-01-02", "1975-12-31"] * 5,
}


def test_every_detail_key_the_classifier_writes_is_known():
    found = classify(Sample(fields=COLUMNS))
    assert len({p.type for p in found}) >= 8, [p.type for p in found]
    for p in found:
        assert set(p.detail) <= set(DETAIL_KEYS), (p.type, sorted(p.detail))

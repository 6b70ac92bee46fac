"""Name and context hints: what a column name or JSON key path says about its values.

A field ``customer.shippingAddress`` is split into tokens of its last two path parts
(``customer_shipping_address``) and matched against per-type token patterns. A hint
never decides a type on its own: values must agree (see ``columns.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["field_hints", "text_context_types", "normalise_name"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^0-9A-Za-z\u0080-\uffff]+")


def normalise_name(name: str) -> str:
    """``items[].cardNumber`` -> ``items_card_number`` (last two path parts)."""
    parts = [p for p in re.split(r"[./\[\]]+", str(name)) if p][-2:]
    words: list[str] = []
    for part in parts:
        words.extend(w.lower() for w in _SPLIT.split(_CAMEL.sub("_", part)) if w)
    return "_".join(words)


def _tokens(*words: str) -> str:
    return "|".join(words)


_B = r"(?:^|_)(?:{})(?:_|$)"
_HINTS: dict[str, re.Pattern[str]] = {
    "email": re.compile(_B.format(_tokens("e_?mail", "email_?address", "mail", "電郵", "邮箱", "電子郵件", "อีเมล"))),
    "phone": re.compile(_B.format(_tokens(
        "phone", "phone_?no", "phone_?number", "mobile", "mobile_?no", "tel", "telephone", "msisdn", "handphone",
        "hp", "no_hp", "cell", "cellphone", "contact_?no", "contact_?number", "whatsapp", "sdt", "dien_thoai",
        "telepon", "shouji", "shoujihao", "dianhua", "手机", "手机号", "电话", "電話", "เบอร์โทร", "โทรศัพท์", "fax"))),
    "national_id": re.compile(_B.format(_tokens(
        "nric", "fin", "nric_fin", "uin", "ic", "ic_?no", "ic_?number", "mykad", "nik", "ktp", "no_ktp",
        "national_?id", "id_?card", "id_?card_?no", "idcard", "id_?no", "id_?number", "identity", "identity_?no",
        "identity_?number", "citizen_?id", "shenfenzheng", "sfz", "sfzh", "cccd", "cmnd", "passport", "ssn",
        "身份证", "身份证号", "เลขบัตรประชาชน", "thai_?id", "resident_?id"))),
    "payment_card": re.compile(_B.format(_tokens(
        "card", "card_?no", "card_?number", "card_?num", "cc", "cc_?number", "ccnum", "pan", "credit_?card",
        "creditcard", "debit_?card", "cardnumber"))),
    "payment_card_partial": re.compile(
        r"(?:card|cc|pan|credit).*(?:last_?4|last_?four|l4|masked|mask|truncated)"
        r"|(?:last_?4|last_?four|masked|truncated).*(?:card|cc|pan)"
        r"|(?:^|_)(?:masked_?pan|pan_?masked|last_?4|last_?four)(?:_|$)"),
    "password_hash": re.compile(_B.format(_tokens(
        "password", "passwd", "pwd", "pass", "pw", "password_?hash", "passhash", "hashed_?password", "pass_?hash",
        "password_?digest", "encrypted_?password", "crypted_?password", "pwhash", "pw_?hash", "mima", "密码"))),
    "person_name": re.compile(_B.format(_tokens(
        "name", "full_?name", "fullname", "first_?name", "firstname", "last_?name", "lastname", "surname",
        "given_?name", "family_?name", "middle_?name", "recipient", "receiver", "consignee", "cardholder",
        "holder", "nama", "ho_?ten", "hoten", "xingming", "姓名", "名字", "ชื่อ", "นามสกุล", "contact_?person"))),
    "postal_address": re.compile(_B.format(_tokens(
        "address", "addr", "address_?line_?\\d?", "address\\d", "street", "street_?address", "alamat", "dia_?chi",
        "diachi", "dizhi", "地址", "ที่อยู่", "residence", "postal_?code", "postcode", "zip", "zip_?code",
        "mailing"))),
    "date_of_birth": re.compile(_B.format(_tokens(
        "dob", "birth", "birthday", "birthdate", "date_of_birth", "birth_?date", "born", "tgl_?lahir",
        "tanggal_?lahir", "ngay_?sinh", "ngaysinh", "shengri", "生日", "出生日期", "วันเกิด"))),
    "ip_address": re.compile(_B.format(_tokens(
        "ip", "ip_?address", "ipaddr", "ip_?addr", "remote_?addr", "remote_?ip", "client_?ip", "source_?ip",
        "src_?ip", "user_?ip", "last_?login_?ip", "x_?forwarded_?for", "host_?ip", "ipv4", "ipv6"))),
}

# words that turn a hint off: ``product_name`` is no person, ``email_address`` no street
_NOT: dict[str, re.Pattern[str]] = {
    "person_name": re.compile(_B.format(_tokens(
        "product", "item", "sku", "file", "filename", "company", "shop", "store", "merchant", "brand", "category",
        "host", "hostname", "bucket", "table", "column", "schema", "user", "username", "nick", "nickname", "domain",
        "app", "device", "event", "field", "key", "tag", "city", "street", "country", "region", "province", "state",
        "district", "bank", "plan", "job", "role", "title", "display", "screen", "login", "account", "server",
        "service", "type", "class", "package", "project", "org", "organisation", "organization", "team", "group",
        "campaign", "promo", "coupon", "file", "image", "model", "variant", "option", "attribute", "list", "queue",
        "topic", "job", "task", "metric", "label", "layer", "env", "cluster", "node", "pod", "sheet", "folder"))),
    "postal_address": re.compile(_B.format(_tokens(
        "email", "e_?mail", "ip", "mac", "remote", "wallet", "url", "web", "contract", "memory", "ipv4", "ipv6",
        "id", "type", "verified", "count", "hash"))),
    "payment_card": re.compile(_B.format(_tokens(
        "id", "type", "brand", "expiry", "exp", "expires", "expiry_?date", "cvv", "cvc", "holder", "name",
        "token", "fingerprint", "last_?4", "last4", "last_?four", "country", "bin", "issuer", "scheme",
        "status", "count"))),
    "national_id": re.compile(_B.format(_tokens("type", "expiry", "issued", "country", "verified", "count"))),
    "phone": re.compile(_B.format(_tokens("verified", "type", "count", "country_?code", "model"))),
    "date_of_birth": re.compile(_B.format(_tokens("place", "country", "city"))),
    "password_hash": re.compile(_B.format(_tokens("changed", "updated", "reset", "expires", "expiry", "policy", "count", "length", "algo", "algorithm"))),
    "email": re.compile(_B.format(_tokens("verified", "sent", "count", "opt", "template", "subject", "status", "type"))),
}


@lru_cache(maxsize=8192)
def field_hints(name: str) -> frozenset[str]:
    """The personal-data types a field's name points at."""
    norm = normalise_name(name)
    if not norm:
        return frozenset()
    leaf = normalise_name(re.split(r"[./\[\]]+", str(name).rstrip("[]./"))[-1]) if name else norm
    found = set()
    for type_, pattern in _HINTS.items():
        scope = norm if type_ == "person_name" else leaf  # ``product.name`` is no person
        if pattern.search(norm) and not (type_ in _NOT and _NOT[type_].search(scope)):
            found.add(type_)
    if "payment_card_partial" in found:
        found.discard("payment_card")
    if "email" in found:
        found.discard("postal_address")
    if "ip_address" in found:
        found.discard("postal_address")
    return frozenset(found)


_TEXT_CONTEXT = {
    "password_hash": re.compile(r"(?i)pass(?:word|wd)?|pwd|hash"),
    "date_of_birth": re.compile(r"(?i)\bdob\b|birth|born|生日|出生|lahir|ngày sinh|วันเกิด"),
    "national_id": re.compile(r"(?i)\b(?:nric|fin|nik|ktp|ic|mykad|id|identity|citizen)\b|身份证|บัตรประชาชน"),
    "payment_card_partial": re.compile(r"(?i)card|\bcc\b|\bpan\b"),
}


def text_context_types(before: str) -> frozenset[str]:
    """Types the text just before a match points at (``DOB: ``, ``password=``)."""
    return frozenset(t for t, p in _TEXT_CONTEXT.items() if p.search(before))

"""One record per personal-data type: everything the classifier knows about it.

Each :class:`TypeSpec` holds the type's priority (its place in :data:`BUILTIN`), how
much a validated value says on its own (``strength``), its value validator, the
column-name tokens that hint at it and those that veto it, its prefilter and
free-text extraction patterns, its mask, the detail it reports and which of its tags
need a keyword nearby in free text. The modules of this package iterate over
:data:`BUILTIN` (plus user-defined detectors, see ``custom.py``); adding a type means
adding one record here and its name to ``auditor.models.PERSONAL_DATA_TYPES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from auditor.classify import masking
from auditor.classify import validators as v
from auditor.classify.ids import UNKNOWN_TAGS, WEAK_TAGS

__all__ = ["TypeSpec", "BUILTIN", "BY_NAME", "name_pattern", "STREET_WORDS"]

Validator = v.Validator

_B = r"(?:^|_)(?:{})(?:_|$)"


def name_pattern(*words: str) -> str:
    """Tokens of a normalised field name (``customer_phone_no``) as one pattern."""
    return _B.format("|".join(words))


@dataclass(frozen=True)
class TypeSpec:
    """What the classifier knows about one personal-data type."""

    name: str
    strength: float  # how much one validated value says on its own (0..1)
    validator: Validator | None = None  # value validator; None: built per options (phones)
    hints: str | None = None  # pattern over the normalised field name that points at the type
    not_hints: str | None = None  # pattern over the field name that turns the hint off
    veto: str | None = None  # pattern over the field name that rules the type out (hinted or not)
    prefilter: tuple[str, ...] = ()  # patterns whose presence makes the type possible (re2.Set)
    extract: str | None = None  # free-text candidate pattern (group 1 when present)
    mask: Callable[[str], str] = masking.mask_generic
    detail: Callable[[Counter], dict] = lambda tags: {}
    context_led: bool = False  # validated only where the field name (or a keyword) points at it
    embedded: bool = False  # can hide inside prose fields
    text_context: str | None = None  # keywords just before a match that count as context
    needs_context: Callable[[str], bool] = lambda tag: False  # weak tags: counted in text only with context
    hinted_in_text: bool = False  # validated as if hinted in text (the extraction pattern carries the context)
    category: str | None = None  # user-defined detectors: the built-in type they count as
    keywords_window: int = 40  # characters before a match searched for ``text_context``
    text_veto: str | None = None  # words just before a match in text that say it is something else
    # lower-case pieces, one in every ASCII match of ``text_context`` / ``text_veto``: an ASCII
    # window holding none of them is answered without the search (empty: always searched)
    text_context_pieces: tuple[bytes, ...] = ()
    text_veto_pieces: tuple[bytes, ...] = ()

    def validate_with(self, phone: Validator) -> Validator:
        return self.validator if self.validator is not None else phone


# ------------------------------------------------------------------ details


def _hash_detail(tags: Counter) -> dict:
    return {"weak": any(t.endswith("!weak") for t in tags), "algorithms": sorted({t.split("!", 1)[0] for t in tags})}


def _id_detail(tags: Counter) -> dict:
    kinds = {t.lstrip("?"): n for t, n in sorted(tags.items())}
    detail: dict = {"kinds": kinds}
    if any(k in ("sg_nric", "sg_fin", "sg_m_unknown") for k in kinds):
        detail["full_nric"] = True
    unknown = sum(n for k, n in kinds.items() if k in UNKNOWN_TAGS)
    if unknown:
        detail["checksum_unknown"] = unknown
    return detail


def _partial_detail(tags: Counter) -> dict:
    return {"forms": sorted({t.split("/")[0] for t in tags}), "visible_digits": max(int(t.split("/")[1]) for t in tags)}


def _address_detail(tags: Counter) -> dict:
    detail: dict = {"forms": sorted(tags)}
    if set(tags) == {"postal_code"}:
        detail["postal_code_only"] = True
    return detail


# ------------------------------------------------------------------ patterns shared with prefilter

STREET_WORDS = (
    r"(?i:\b(?:road|rd|street|st|avenue|ave|drive|dr|lane|ln|boulevard|blvd|crescent|cres|close|way|place|"
    r"terrace|court|highway|jalan|jln|lorong|lor|lebuh|persiaran|taman|jl|gg|gang|kelurahan|kecamatan|"
    r"kabupaten|kota|desa|blk|block|soi|thanon|moo|barangay|brgy|purok|subdivision|apt|suite|unit|singapore)\b)"
    r"|路|街|号|弄|巷|室|省|市|区|县|镇|村|ถนน|ซอย|หมู่|ตำบล|อำเภอ|จังหวัด|แขวง|เขต|"
    r"Đường|Phường|Quận|Huyện|Tỉnh|Xã|Phố|Ấp"
)
_NOQ = r"[^\s,;\"'<>|]"

BUILTIN: tuple[TypeSpec, ...] = (
    TypeSpec(
        name="payment_card", strength=0.95, validator=v.payment_card,
        hints=name_pattern("card", "card_?no", "card_?number", "card_?num", "cc", "cc_?number", "ccnum", "pan",
                           "credit_?card", "creditcard", "debit_?card", "cardnumber"),
        not_hints=name_pattern("id", "type", "brand", "expiry", "exp", "expires", "expiry_?date", "cvv", "cvc",
                               "holder", "name", "token", "fingerprint", "last_?4", "last4", "last_?four", "country",
                               "bin", "issuer", "scheme", "status", "count"),
        veto=name_pattern("version", "ver", "build", "sku", "barcode", "ean", "upc", "isbn", "order", "invoice",
                          "txn", "tracking", "awb", "serial", "imei", "id"),
        prefilter=(r"\d(?:[ -]?\d){12}",),
        extract=r"\b\d(?:[ -]?\d){12,18}\b",
        mask=masking.mask_pan, detail=lambda tags: {"brands": sorted(tags)}, embedded=True,
    ),
    TypeSpec(
        name="national_id", strength=0.95, validator=v.national_id,
        hints=name_pattern("nric", "fin", "nric_fin", "uin", "ic", "ic_?no", "ic_?number", "mykad", "nik", "ktp",
                           "no_ktp", "national_?id", "id_?card", "id_?card_?no", "idcard", "id_?no", "id_?number",
                           "identity", "identity_?no", "identity_?number", "citizen_?id", "shenfenzheng", "sfz", "sfzh",
                           "cccd", "cmnd", "passport", "ssn", "身份证", "身份证号", "เลขบัตรประชาชน", "thai_?id",
                           "resident_?id", "hkid", "rrn", "my_?number", "mynumber", "kojin_?bango", "aadhaar",
                           "aadhar", "uidai", "psn", "philsys", "sss", "umid", "crn", "can"),
        not_hints=name_pattern("type", "expiry", "issued", "country", "verified", "count"),
        veto=name_pattern("version", "ver", "build", "sku", "barcode", "ean", "upc", "isbn", "order", "invoice",
                          "txn", "tracking", "awb", "serial", "uen", "company", "business", "brn", "gst", "vat",
                          "tax"),
        prefilter=(r"[STFGMstfgm]\d{7}[A-Za-z]", r"\d{12}", r"\d{6}-\d{2}-\d{4}", r"\d-\d{4}-\d{5}-\d{2}-\d",
                   r"[A-Za-z]{1,2}\d{6}\(?[0-9Aa]\)?", r"[A-Za-z][12]\d{8}", r"\d{6}-\d{7}", r"\d{4} \d{4} \d{4}",
                   r"\d{2}-\d{7}-\d", r"\d{4}-\d{4}-\d{4}"),
        extract=(r"\b(?:[STFGMstfgm]\d{7}[A-Za-z]|[A-Za-z]{1,2}\d{6}\s?\(?[0-9Aa]\)?|[A-Za-z][12]\d{8}|\d{6}-\d{7}"
                 r"|\d{4} \d{4} \d{4}|\d{4}-\d{4}-\d{4}|\d{2}-\d{7}-\d|\d{17}[\dXx]|\d{6}-\d{2}-\d{4}"
                 r"|\d-\d{4}-\d{5}-\d{2}-\d|\d{12,13}|\d{16})\b"),
        mask=masking.mask_id, detail=_id_detail, embedded=True, hinted_in_text=True,
        text_context=(r"(?i)\b(?:nric|fin|nik|ktp|ic|mykad|id|identity|citizen|hkid|rrn|aadhaar|aadhar|psn|philsys"
                      r"|sss|umid|cccd|my ?number)\b|身份证|บัตรประชาชน|個人番号|マイナンバー|주민등록|身分證"),
        text_context_pieces=(b"id", b"ic", b"fin", b"nik", b"ktp", b"mykad", b"citizen", b"rrn", b"aadha", b"psn",
                             b"philsys", b"sss", b"cccd", b"number"),
        needs_context=lambda tag: tag in WEAK_TAGS or tag.lstrip("?") in UNKNOWN_TAGS,
    ),
    TypeSpec(
        name="password_hash", strength=0.9, validator=v.password_hash,
        hints=name_pattern("password", "passwd", "pwd", "pass", "pw", "password_?hash", "passhash", "hashed_?password",
                           "pass_?hash", "password_?digest", "encrypted_?password", "crypted_?password", "pwhash",
                           "pw_?hash", "mima", "密码"),
        not_hints=name_pattern("changed", "updated", "reset", "expires", "expiry", "policy", "count", "length", "algo",
                               "algorithm"),
        veto=name_pattern("file", "build", "commit", "etag", "checksum", "content", "object", "blob", "image",
                          "artifact", "git"),
        prefilter=(r"\$2[abxy]?\$\d\d\$|\$argon2|scrypt\$|\$7\$|pbkdf2|\$[156]\$|(?:sha1|md5)\$", r"[0-9a-fA-F]{32}"),
        extract=(
            r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$argon2" + _NOQ + r"+|\$?scrypt\$" + _NOQ + r"+|\$7\$" + _NOQ
            + r"+|\$?pbkdf2" + _NOQ + r"+|\$[156]\$[^\s,;\"'<>|:]+|(?:unsalted_)?(?:sha1|md5)\$" + _NOQ
            + r"+|\b[0-9a-fA-F]{64}\b|\b[0-9a-fA-F]{40}\b|\b[0-9a-fA-F]{32}\b"
        ),
        mask=masking.mask_hash, detail=_hash_detail, embedded=True, hinted_in_text=True,
        text_context=r"(?i)pass(?:word|wd)?|pwd|hash", text_context_pieces=(b"pass", b"pwd", b"hash"),
        needs_context=lambda tag: tag.split("!")[0] in ("md5", "sha1", "sha256"),
    ),
    TypeSpec(
        name="email", strength=0.95, validator=v.email,
        hints=name_pattern("e_?mail", "email_?address", "mail", "電郵", "邮箱", "電子郵件", "อีเมล"),
        not_hints=name_pattern("verified", "sent", "count", "opt", "template", "subject", "status", "type"),
        prefilter=(r"[A-Za-z0-9._%+'-]@[A-Za-z0-9-]+\.[A-Za-z]{2}",),
        extract=r"[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}",
        mask=masking.mask_email, embedded=True,
    ),
    TypeSpec(
        name="ip_address", strength=0.85, validator=v.ip_address,
        hints=name_pattern("ip", "ip_?address", "ipaddr", "ip_?addr", "remote_?addr", "remote_?ip", "client_?ip",
                           "source_?ip", "src_?ip", "user_?ip", "last_?login_?ip", "x_?forwarded_?for", "host_?ip",
                           "ipv4", "ipv6"),
        veto=name_pattern("version", "ver", "build", "sku", "code", "release", "firmware", "fw", "revision", "rev",
                          "app_?version", "os_?version", "schema", "semver", "tag", "oid", "mib", "isbn", "id"),
        prefilter=(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}"),
        extract=(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"
                 r"|[0-9A-Fa-f:]*[0-9A-Fa-f]::[0-9A-Fa-f:]*|::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f:]*)?"),
        mask=masking.mask_ip, detail=lambda tags: {"versions": sorted(tags)}, embedded=True,
        text_veto=r"(?i)(?:version|ver|build|release|firmware|fw|rev|v)\W{0,2}$",
        text_veto_pieces=(b"v", b"build", b"release", b"firmware", b"fw"),
    ),
    TypeSpec(
        name="payment_card_partial", strength=0.85, validator=v.payment_card_partial,
        hints=(r"(?:card|cc|pan|credit).*(?:last_?4|last_?four|l4|masked|mask|truncated)"
               r"|(?:last_?4|last_?four|masked|truncated).*(?:card|cc|pan)"
               r"|(?:^|_)(?:masked_?pan|pan_?masked|last_?4|last_?four)(?:_|$)"),
        veto=name_pattern("version", "build", "sku", "barcode", "ean", "order", "invoice", "tracking"),
        prefilter=(r"[*Xx#•](?:[ -]?[*Xx#•]){3}[ -]?\d", r"\d{4}\s?(?:\.{2,3}|…|\|)\s?\d{4}"),
        extract=r"(?:\b\d{4,8}[ -]?)?(?:[*Xx#•]{2,}[ -]?){1,6}\d{4}\b|\b\d{4,8}\s?(?:\.{2,3}|…|\|)\s?\d{4}\b",
        mask=masking.mask_pan, detail=_partial_detail, embedded=True,
        text_context=r"(?i)card|\bcc\b|\bpan\b",
    ),
    TypeSpec(
        name="phone", strength=0.8, validator=None,
        hints=name_pattern("phone", "phone_?no", "phone_?number", "mobile", "mobile_?no", "tel", "telephone", "msisdn",
                           "handphone", "hp", "no_hp", "cell", "cellphone", "contact_?no", "contact_?number",
                           "whatsapp", "sdt", "dien_thoai", "telepon", "shouji", "shoujihao", "dianhua", "手机",
                           "手机号", "电话", "電話", "เบอร์โทร", "โทรศัพท์", "fax"),
        not_hints=name_pattern("verified", "type", "count", "country_?code", "model"),
        veto=name_pattern("version", "ver", "build", "sku", "code", "barcode", "ean", "upc", "isbn", "order",
                          "invoice", "txn", "tracking", "awb", "serial", "imei", "batch", "sequence", "seq", "amount",
                          "price", "qty", "quantity", "epoch", "timestamp", "ts", "duration", "ms", "bytes", "size", "id"),
        prefilter=(r"\d[\d ().\-/]{5,}\d",),
        # a run of 7-15 digits with single separators, not inside a longer run or a word (no
        # order numbers, SKUs or UUID pieces); a leading "+", "00" or "(" belongs to it
        extract=r"(?:\+|\()?\b\d(?:[ .\-/()]{0,2}\d){6,14}\b",
        mask=masking.mask_phone, detail=lambda tags: {"regions": sorted(tags)}, embedded=True,
    ),
    TypeSpec(
        name="date_of_birth", strength=0.8, validator=v.date_of_birth,
        hints=name_pattern("dob", "birth", "birthday", "birthdate", "date_of_birth", "birth_?date", "born", "tgl_?lahir",
                           "tanggal_?lahir", "ngay_?sinh", "ngaysinh", "shengri", "生日", "出生日期", "วันเกิด"),
        not_hints=name_pattern("place", "country", "city"),
        prefilter=(r"(?i:dob|birth|born)|生日|出生|lahir|ngày sinh|วันเกิด",),
        extract=(r"(?i:dob|date of birth|birth ?date|birthday|born(?: on)?)\W{0,5}"
                 r"(\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}/\d{2}/\d{2})"),
        mask=masking.mask_date, context_led=True, hinted_in_text=True,
        text_context=r"(?i)\bdob\b|birth|born|生日|出生|lahir|ngày sinh|วันเกิด",
    ),
    TypeSpec(
        name="postal_address", strength=0.75, validator=v.postal_address,
        hints=name_pattern("address", "addr", "address_?line_?\\d?", "address\\d", "street", "street_?address",
                           "alamat", "dia_?chi", "diachi", "dizhi", "地址", "ที่อยู่", "residence", "postal_?code",
                           "postcode", "zip", "zip_?code", "mailing"),
        not_hints=name_pattern("email", "e_?mail", "ip", "mac", "remote", "wallet", "url", "web", "contract", "memory",
                               "ipv4", "ipv6", "id", "type", "verified", "count", "hash"),
        prefilter=(STREET_WORDS, r"#\d{1,3}-\d{1,5}"),
        extract=v.TEXT_ADDRESS,
        mask=masking.mask_address, detail=_address_detail,
    ),
    TypeSpec(
        name="person_name", strength=0.7, validator=v.person_name,
        hints=name_pattern("name", "full_?name", "fullname", "first_?name", "firstname", "last_?name", "lastname",
                           "surname", "given_?name", "family_?name", "middle_?name", "recipient", "receiver",
                           "consignee", "cardholder", "holder", "nama", "ho_?ten", "hoten", "xingming", "姓名", "名字",
                           "ชื่อ", "นามสกุล", "contact_?person"),
        not_hints=name_pattern(
            "product", "item", "sku", "file", "filename", "company", "shop", "store", "merchant", "brand", "category",
            "host", "hostname", "bucket", "table", "column", "schema", "user", "username", "nick", "nickname", "domain",
            "app", "device", "event", "field", "key", "tag", "city", "street", "country", "region", "province", "state",
            "district", "bank", "plan", "job", "role", "title", "display", "screen", "login", "account", "server",
            "service", "type", "class", "package", "project", "org", "organisation", "organization", "team", "group",
            "campaign", "promo", "coupon", "file", "image", "model", "variant", "option", "attribute", "list", "queue",
            "topic", "job", "task", "metric", "label", "layer", "env", "cluster", "node", "pod", "sheet", "folder"),
        prefilter=(v.NAME_CONTEXT,),
        extract=v.TEXT_NAME,
        mask=masking.mask_name, context_led=True, hinted_in_text=True,
    ),
)

BY_NAME: dict[str, TypeSpec] = {s.name: s for s in BUILTIN}


def ordered(specs: Sequence[TypeSpec]) -> tuple[str, ...]:
    return tuple(s.name for s in specs)


def _check() -> None:
    from auditor.models import PERSONAL_DATA_TYPES

    missing = set(PERSONAL_DATA_TYPES) ^ set(BY_NAME)
    assert not missing, f"personal-data types without a record (or records without a type): {sorted(missing)}"


_check()

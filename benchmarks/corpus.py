"""Labelled corpus generator for the classifier benchmarks.

``columns(seed, per_type)`` returns labelled columns: ``(field_name, values, labels)``
where ``labels`` is the set of personal-data types the column truly holds (empty for
decoys). Values come from Faker (zh_CN, th_TH, id_ID, en_PH, vi_VN, en_US) and from
generators here for Singapore and Malaysian ids and addresses, China, Thai and
Indonesian ids (all with valid checksums), phones of the default regions (validated
with ``phonenumbers``), cards, masked cards, password hashes, and the decoys the
classifier must leave clean (16-digit non-Luhn order numbers, NRIC-shaped SKUs with a
wrong check letter, UUIDs, git SHAs in ``build_sha``, timestamps, prices, ...).

``csv_text(seed, target_bytes)`` renders rows of a customer/order table as CSV text.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import random
import uuid
from collections.abc import Callable

import phonenumbers
from faker import Faker

from auditor.classify.ids import cn_check_char, nric_check_letter, thai_check_digit
from auditor.classify.validators import luhn_ok

LOCALES = ("zh_CN", "th_TH", "id_ID", "en_PH", "vi_VN", "en_US")
REGIONS = ("SG", "MY", "ID", "TH", "PH", "VN", "CN", "HK", "TW")
Column = tuple[str, list, frozenset]

_SG_STREETS = ["Ang Mo Kio Ave 3", "Tampines St 21", "Jurong West St 42", "Bedok North Rd", "Toa Payoh Lor 1",
               "Yishun Ring Rd", "Clementi Ave 2", "Orchard Road", "Bukit Batok West Ave 6", "Sengkang East Way"]
_MY_STREETS = ["Jalan Ampang", "Jalan Bukit Bintang", "Lorong Maarof", "Jalan Tun Razak", "Persiaran Gurney"]
_MY_TOWNS = [("50450", "Kuala Lumpur"), ("10250", "George Town"), ("80000", "Johor Bahru"), ("47400", "Petaling Jaya")]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        Faker.seed(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}

    def faker(self) -> Faker:
        return self.fakers[self.r.choice(LOCALES)]

    # ------------------------------------------------------------ ids
    def nric(self) -> str:
        prefix = self.r.choice("STFGM")
        digits = f"{self.r.randrange(10**7):07d}"
        return prefix + digits + nric_check_letter(prefix, digits)

    def nric_sku(self) -> str:
        good = self.nric()
        letters = [c for c in "ABCDEFGHIJKLMNPQRTUWXZ" if c != good[8]]
        prefix = self.r.choice("STFG")
        digits = good[1:8]
        right = nric_check_letter(prefix, digits)
        return prefix + digits + self.r.choice([c for c in letters if c != right])

    def birth(self) -> dt.date:
        return dt.date(1950, 1, 1) + dt.timedelta(days=self.r.randrange(365 * 55))

    def cn_id(self) -> str:
        b = self.birth()
        first = self.r.choice(["110105", "310104", "440305", "510107", "330106"]) + b.strftime("%Y%m%d") + f"{self.r.randrange(1000):03d}"
        return first + cn_check_char(first)

    def th_id(self) -> str:
        first = str(self.r.randint(1, 8)) + f"{self.r.randrange(10**11):011d}"
        return first + str(thai_check_digit(first))

    def mykad(self) -> str:
        b = self.birth()
        place = self.r.choice(["01", "05", "07", "08", "10", "14", "12", "13"])
        body = b.strftime("%y%m%d") + place + f"{self.r.randrange(1, 10000):04d}"
        return f"{body[:6]}-{body[6:8]}-{body[8:]}" if self.r.random() < 0.5 else body

    def nik(self) -> str:
        b = self.birth()
        day = b.day + (40 if self.r.random() < 0.5 else 0)
        return (self.r.choice(["31", "32", "33", "35", "51", "73"]) + f"{self.r.randint(1, 79):02d}{self.r.randint(1, 40):02d}"
                + f"{day:02d}{b.month:02d}{b.year % 100:02d}" + f"{self.r.randint(1, 9999):04d}")

    def national_id(self) -> str:
        return self.r.choice([self.nric, self.nric, self.cn_id, self.th_id, self.mykad, self.nik])()

    # ------------------------------------------------------------ cards
    def card(self) -> str:
        pan = self.fakers["en_US"].credit_card_number(card_type=self.r.choice(["visa16", "mastercard", "amex", "discover", "jcb16", "visa13"]))
        if self.r.random() < 0.3 and len(pan) == 16:
            sep = self.r.choice([" ", "-"])
            pan = sep.join(pan[i:i + 4] for i in range(0, 16, 4))
        return pan

    def card_masked(self) -> str:
        pan = self.fakers["en_US"].credit_card_number(card_type="visa16")
        style = self.r.randrange(3)
        if style == 0:
            return pan[:6] + "******" + pan[-4:]
        if style == 1:
            return "**** **** **** " + pan[-4:]
        return "XXXX-XXXX-XXXX-" + pan[-4:]

    def order_no(self) -> str:
        while True:
            value = str(self.r.choice([1, 2, 3, 4, 5, 6, 7, 8, 9])) + f"{self.r.randrange(10**15):015d}"
            if not luhn_ok(value):
                return value

    # ------------------------------------------------------------ contact
    def phone(self) -> str:
        region = self.r.choice(REGIONS)
        kind = self.r.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.MOBILE,
                              phonenumbers.PhoneNumberType.FIXED_LINE])
        example = phonenumbers.example_number_for_type(region, kind)
        base = str(example.national_number)
        for _ in range(50):
            tail = "".join(self.r.choice("0123456789") for _ in range(4))
            num = phonenumbers.parse(base[:-4] + tail, region)
            if phonenumbers.is_valid_number(num):
                break
        fmt = self.r.choice([phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                             phonenumbers.PhoneNumberFormat.NATIONAL])
        return phonenumbers.format_number(num, fmt)

    def email(self) -> str:
        return self.faker().email()

    def name(self) -> str:
        return self.faker().name()

    def sg_address(self) -> str:
        blk = self.r.randint(1, 999)
        unit = f"#{self.r.randint(1, 30):02d}-{self.r.randint(1, 999):02d}"
        return f"Blk {blk} {self.r.choice(_SG_STREETS)} {unit} Singapore {self.r.randint(100000, 829999)}"

    def my_address(self) -> str:
        code, town = self.r.choice(_MY_TOWNS)
        return f"{self.r.randint(1, 200)}, {self.r.choice(_MY_STREETS)}, {code} {town}"

    def address(self) -> str:
        pick = self.r.random()
        if pick < 0.25:
            return self.sg_address()
        if pick < 0.4:
            return self.my_address()
        return self.faker().address().replace("\n", ", ")

    def dob(self):
        b = self.birth()
        return self.r.choice([b, b.isoformat(), b.strftime("%d/%m/%Y"), b.strftime("%Y%m%d")])

    def ip(self) -> str:
        f = self.faker()
        return f.ipv4_public() if self.r.random() < 0.8 else f.ipv6()

    # ------------------------------------------------------------ hashes
    def password_hash(self, salted_only: bool = False) -> str:
        pw = self.faker().password().encode()
        salt = base64.b64encode(self.r.randbytes(12)).decode().rstrip("=")
        alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        kind = self.r.randrange(3 if salted_only else 4)
        if kind == 0:
            return "$2b$12$" + "".join(self.r.choice(alphabet) for _ in range(53))
        if kind == 1:
            dk = base64.b64encode(hashlib.pbkdf2_hmac("sha256", pw, salt.encode(), 1000)).decode()
            return f"pbkdf2_sha256$260000${salt}${dk}"
        if kind == 2:
            return f"$argon2id$v=19$m=65536,t=3,p=4${salt}${base64.b64encode(self.r.randbytes(32)).decode().rstrip('=')}"
        return hashlib.md5(pw).hexdigest()  # only under a password name

    def sha(self) -> str:
        return hashlib.sha1(self.r.randbytes(16)).hexdigest()


_NAMES: dict[str, list[str]] = {
    "email": ["email", "customer_email", "EmailAddress", "contact.email", "user.mail", "col_email2"],
    "phone": ["phone", "mobile", "contact_no", "customer.phone", "tel", "shipping.phoneNumber", "no_hp"],
    "person_name": ["name", "full_name", "customer_name", "recipient", "first_name", "buyer.fullName", "nama"],
    "postal_address": ["address", "shipping_address", "billing.address", "addr_line1", "alamat", "delivery_address"],
    "date_of_birth": ["dob", "birth_date", "customer.birthday", "date_of_birth", "tgl_lahir"],
    "national_id": ["nric", "ic_no", "id_card", "national_id", "customer.nik", "passport"],
    "payment_card": ["card_number", "pan", "payment.card", "cc_number", "items[].card"],
    "payment_card_partial": ["masked_pan", "card_last4", "payment.card_masked"],
    "password_hash": ["password", "password_hash", "pwd", "user.passwordDigest", "hashed_password"],
    "ip_address": ["ip", "client_ip", "last_login_ip", "remote_addr", "request.ip"],
}
# value-strong types are also generated under names that say nothing
_GENERIC_OK = ("email", "phone", "national_id", "payment_card", "payment_card_partial", "password_hash", "ip_address", "postal_address")


def columns(seed: int = 7, per_type: int = 40, rows: tuple[int, int] = (20, 200)) -> list[Column]:
    g = Gen(seed)
    r = g.r
    makers: dict[str, Callable[[], object]] = {
        "email": g.email, "phone": g.phone, "person_name": g.name, "postal_address": g.address,
        "date_of_birth": g.dob, "national_id": g.national_id, "payment_card": g.card,
        "payment_card_partial": g.card_masked, "password_hash": g.password_hash, "ip_address": g.ip,
    }
    out: list[Column] = []

    junk = ["N/A", "-", "unknown", "test", "0", "none", "TBC", "?"]

    def values(maker: Callable[[], object], n: int, empty: float = 0.1, noise: float = 0.04) -> list:
        """Values with empties and a little junk, as real columns have."""
        out: list = []
        for _ in range(n):
            roll = r.random()
            out.append(None if roll < empty else r.choice(junk) if roll < empty + noise else maker())
        return out

    for type_, maker in makers.items():
        for i in range(per_type):
            n = r.randint(*rows)
            generic = type_ in _GENERIC_OK and i % 4 == 3
            name = f"field_{i}" if generic else r.choice(_NAMES[type_])
            make = maker
            if type_ == "password_hash" and generic:
                make = lambda: g.password_hash(salted_only=True)  # noqa: E731 - bare hex needs a password name
            if type_ == "payment_card_partial" and name == "card_last4":
                vals = [None if r.random() < 0.1 else g.card()[-4:] for _ in range(n)]
            else:
                vals = values(make, n)
            out.append((name, vals, frozenset({type_})))
    # mixed contact columns
    for _ in range(per_type // 4):
        n = r.randint(*rows)
        out.append(("contact", [g.email() if r.random() < 0.5 else g.phone() for _ in range(n)], frozenset({"email", "phone"})))
    # decoys
    decoys: list[tuple[list[str], Callable[[], object]]] = [
        (["order_no", "order_id", "invoice_no", "txn_ref"], g.order_no),
        (["sku", "product_code", "item_code"], g.nric_sku),
        (["request_id", "uuid", "session_id"], lambda: str(uuid.UUID(int=r.getrandbits(128)))),
        (["build_sha", "commit", "etag", "checksum"], g.sha),
        (["created_at", "updated_at", "ts"], lambda: (dt.datetime(2018, 1, 1) + dt.timedelta(seconds=r.randrange(10**8))).isoformat()),
        (["epoch", "created_ts"], lambda: r.randrange(1_500_000_000, 1_750_000_000)),
        (["price", "amount", "total"], lambda: f"{r.uniform(0.5, 999):.2f}"),
        (["qty", "stock", "amount_cents"], lambda: r.randrange(10**7)),
        (["product_name", "title", "category"], lambda: g.faker().catch_phrase()),
        (["status"], lambda: r.choice(["paid", "shipped", "cancelled", "refunded"])),
        (["tracking_no", "awb"], lambda: r.choice(["SG", "MY", "TH"]) + f"{r.randrange(10**10):010d}" + r.choice(["", "XSG"])),
        (["app_version"], lambda: f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}"),
        (["barcode", "ean"], lambda: f"{r.randrange(10**13):013d}"),
        (["url", "image_url"], lambda: g.faker().url()),
    ]
    for i in range(per_type * 2):
        names, maker = decoys[i % len(decoys)]
        out.append((r.choice(names), values(maker, r.randint(*rows)), frozenset()))
    r.shuffle(out)
    return out


CSV_HEADER = ["id", "email", "phone", "name", "address", "nric", "card_number", "order_no", "created_at",
              "price", "last_login_ip", "password_hash", "status", "request_id"]


def csv_text(seed: int = 11, target_bytes: int = 5 << 20) -> str:
    """A customer/order table as CSV text of about ``target_bytes``."""
    g = Gen(seed)
    r = g.r
    pool = {
        "email": [g.email() for _ in range(2000)], "phone": [g.phone() for _ in range(2000)],
        "name": [g.name() for _ in range(2000)], "address": [g.address() for _ in range(2000)],
        "nric": [g.nric() for _ in range(2000)], "card_number": [g.card() for _ in range(2000)],
        "password_hash": [g.password_hash() for _ in range(2000)], "ip": [g.ip() for _ in range(2000)],
    }
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    i = 0
    while buf.tell() < target_bytes:
        i += 1
        w.writerow([
            i, r.choice(pool["email"]), r.choice(pool["phone"]), r.choice(pool["name"]), r.choice(pool["address"]),
            r.choice(pool["nric"]), r.choice(pool["card_number"]), g.order_no(),
            (dt.datetime(2018, 1, 1) + dt.timedelta(seconds=r.randrange(10**8))).isoformat(),
            f"{r.uniform(1, 500):.2f}", r.choice(pool["ip"]), r.choice(pool["password_hash"]),
            r.choice(["paid", "shipped"]), str(uuid.UUID(int=r.getrandbits(128))),
        ])
    return buf.getvalue()

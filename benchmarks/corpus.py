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


def csv_text(seed: int = 11, target_bytes: int = 5 << 20, pool_size: int = 2000) -> str:
    """A customer/order table as CSV text of about ``target_bytes``."""
    g = Gen(seed)
    r = g.r
    pool = {
        "email": [g.email() for _ in range(pool_size)], "phone": [g.phone() for _ in range(pool_size)],
        "name": [g.name() for _ in range(pool_size)], "address": [g.address() for _ in range(pool_size)],
        "nric": [g.nric() for _ in range(pool_size)], "card_number": [g.card() for _ in range(pool_size)],
        "password_hash": [g.password_hash() for _ in range(pool_size)], "ip": [g.ip() for _ in range(pool_size)],
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


# ---------------------------------------------------------------- speed corpora (1 MiB per call)


def jsonl_text(seed: int = 12, target_bytes: int = 5 << 20, pool_size: int = 2000) -> str:
    """The customer/order rows of :func:`csv_text` as JSON lines (nested contact object)."""
    import json

    rows = list(csv.reader(io.StringIO(csv_text(seed, target_bytes * 3 // 5, pool_size))))
    header, body = rows[0], rows[1:]
    out = io.StringIO()
    for row in body:
        rec = dict(zip(header, row))
        contact = {"email": rec.pop("email"), "phone": rec.pop("phone"), "address": rec.pop("address")}
        rec["contact"] = contact
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if out.tell() >= target_bytes:
            break
    return out.getvalue()


def mixed_text(seed: int = 13, target_bytes: int = 5 << 20, pool_size: int = 3000) -> str:
    """Free text as support tickets, notes and logs hold it: prose and log lines with
    e-mails, phones of SG/MY/ID/TH/VN/PH/CN, cards, national ids and addresses embedded."""
    n = NoisyGen(seed)
    pool = [n.document()[0] for _ in range(pool_size)]
    r = n.r
    out = io.StringIO()
    while out.tell() < target_bytes:
        out.write(r.choice(pool))
        out.write("\n")
    return out.getvalue()


# ---------------------------------------------------------------- an independent, noisy generator
# Written apart from the detectors and from ``Gen``: formats typed by hand from how people
# write them (separators, country prefixes, "(0)", dots), free-text notes and log lines,
# and near-miss decoys. Ground truth for phones is phonenumbers' own is_valid_number.


class NoisyGen:
    _PHONES = {  # region: (country code, national forms as (prefix choices, total national digits))
        "SG": ("65", [("8", 8), ("9", 8), ("6", 8)]),
        "MY": ("60", [("012", 10), ("016", 10), ("019", 10), ("03", 10), ("011", 11)]),
        "ID": ("62", [("0812", 12), ("0813", 12), ("0857", 11), ("021", 10)]),
        "TH": ("66", [("081", 10), ("089", 10), ("02", 9)]),
        "VN": ("84", [("090", 10), ("091", 10), ("098", 10), ("028", 11)]),
        "PH": ("63", [("0917", 11), ("0918", 11), ("02", 10)]),
        "CN": ("86", [("138", 11), ("139", 11), ("186", 11), ("010", 11)]),
    }

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.g = Gen(seed + 1000)

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def phone(self) -> tuple[str, bool]:
        """A phone as people write it, and whether it is a valid number (phonenumbers says)."""
        r = self.r
        region = r.choice(list(self._PHONES))
        cc, forms = self._PHONES[region]
        prefix, total = r.choice(forms)
        national = prefix + self.digits(total - len(prefix))
        style = r.randrange(6)
        body = national[1:] if national.startswith("0") else national
        if style == 0:
            text = f"+{cc} {body[:len(body) - 8]} {body[-8:-4]} {body[-4:]}".replace("  ", " ")
        elif style == 1:
            text = f"+{cc}{body}"
        elif style == 2:
            text = f"{national[:4]}-{national[4:7]}-{national[7:]}"
        elif style == 3:
            text = f"({national[:3]}) {national[3:6]} {national[6:]}"
        elif style == 4:
            text = f"00{cc} {body}"
        else:
            text = f"{national[:3]}.{national[3:6]}.{national[6:]}"
        ok = False
        # ground truth: a valid number of any region of the set, read as written ("00" + country
        # code is an international number, not a region's dialling prefix)
        for reading, where in [(("+" + text[2:]) if text.startswith("00") else text, None)] + [(text, reg) for reg in REGIONS]:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(reading, where if not reading.startswith("+") else None)):
                    ok = True
                    break
            except phonenumbers.NumberParseException:
                continue
        return text, ok

    def address(self) -> str:
        r = self.r
        kind = r.randrange(7)
        if kind == 0:
            return f"No. {r.randint(1, 300)}, Jalan {r.choice(['Ampang', 'Tun Razak', 'Sultan Ismail', 'Klang Lama'])}, {r.randint(10000, 98000)} {r.choice(['Kuala Lumpur', 'Shah Alam', 'Ipoh'])}"
        if kind == 1:
            return f"Jl. {r.choice(['Sudirman', 'Gatot Subroto', 'Thamrin', 'Diponegoro'])} No. {r.randint(1, 200)}, RT {r.randint(1, 20):02d}/RW {r.randint(1, 15):02d}, {r.choice(['Jakarta Selatan', 'Bandung', 'Surabaya'])} {r.randint(10000, 99999)}"
        if kind == 2:
            return f"{r.randint(1, 999)}/{r.randint(1, 99)} Soi Sukhumvit {r.randint(1, 101)}, Khlong Toei, Bangkok {r.randint(10100, 10999)}"
        if kind == 3:
            return f"{r.randint(1, 300)} {r.choice(['Nguyễn Huệ', 'Lê Lợi', 'Trần Hưng Đạo'])}, Phường {r.choice(['Bến Nghé', '3', 'Tân Định'])}, Quận {r.randint(1, 12)}, TP. Hồ Chí Minh"
        if kind == 4:
            return f"{r.randint(1, 999)} {r.choice(['Rizal', 'Mabini', 'Bonifacio'])} St., Brgy. {r.choice(['San Antonio', 'Poblacion', 'Malate'])}, {r.choice(['Makati City', 'Quezon City', 'Cebu City'])} {r.randint(1000, 6999)}"
        if kind == 5:
            return f"{r.choice(['上海市浦东新区', '北京市朝阳区', '广东省深圳市南山区'])}{r.choice(['世纪大道', '建国路', '科技园路'])}{r.randint(1, 999)}号"
        return f"Blk {r.randint(1, 999)} {r.choice(['Tampines St 21', 'Ang Mo Kio Ave 3', 'Bedok North Rd'])} #{r.randint(1, 25):02d}-{r.randint(1, 999):03d} Singapore {r.randint(100000, 829999)}"

    def card(self) -> str:
        r = self.r
        brand = r.choice(["jcb", "unionpay", "diners", "maestro", "visa", "mastercard", "amex"])
        prefix, length = {"jcb": (str(r.randint(3528, 3589)), 16), "unionpay": ("62" + self.digits(2), 16),
                          "diners": ("36", 14), "maestro": (r.choice(["5018", "5020", "6759", "6761"]), r.choice([16, 19])),
                          "visa": ("4", 16), "mastercard": (str(r.randint(51, 55)), 16), "amex": ("37", 15)}[brand]
        body = prefix + self.digits(length - len(prefix) - 1)
        for d in "0123456789":
            if luhn_ok(body + d):
                pan = body + d
                break
        if r.random() < 0.4 and length == 16:
            pan = " ".join(pan[i:i + 4] for i in range(0, 16, 4))
        return pan

    def national_id(self) -> tuple[str, str]:
        from stdnum.in_ import aadhaar
        from stdnum.jp import in_ as my_number
        from stdnum.kr import rrn

        from auditor.classify.ids import hkid_check, tw_check

        r = self.r
        kind = r.choice(["nric", "hkid", "tw", "kr", "jp", "aadhaar", "cn"])
        if kind == "nric":
            return self.g.nric(), "NRIC"
        if kind == "hkid":
            letter, digits = r.choice("ACDEGHKPRVZ"), self.digits(6)
            return f"{letter}{digits}({hkid_check(letter, digits)})", "HKID"
        if kind == "tw":
            first = r.choice("ABCDEFGHJKLMNPQRSTUVXYWZ") + r.choice("12") + self.digits(7)
            return first + str(tw_check(first)), "身分證"
        if kind == "kr":
            body = f"{r.randint(60, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.choice('12')}{self.digits(5)}"
            return f"{body[:6]}-{body[6:]}{rrn.calc_check_digit(body)}", "RRN"
        if kind == "jp":
            body = self.digits(11)
            return body + my_number.calc_check_digit(body), "My Number"
        if kind == "aadhaar":
            body = str(r.randint(2, 9)) + self.digits(10)
            full = body + aadhaar.verhoeff.calc_check_digit(body) if hasattr(aadhaar, "verhoeff") else body + "0"
            return f"{full[:4]} {full[4:8]} {full[8:]}", "Aadhaar"
        return self.g.cn_id(), "身份证"

    def decoy(self) -> str:
        r = self.r
        return r.choice([
            f"order #{self.digits(10)}", f"build {r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}.{r.randint(100, 999)}",
            f"invoice {self.digits(12)}", f"SKU {self.g.nric_sku()}", f"ref {self.g.order_no()}",
            f"trace_id={uuid.UUID(int=r.getrandbits(128))}", f"ts={r.randint(1_600_000_000, 1_760_000_000)}",
            f"tracking {r.choice(['SG', 'MY'])}{self.digits(10)}", f"qty {self.digits(8)}",
        ])

    def document(self) -> tuple[str, dict[str, int]]:
        """A note, ticket, e-mail or log line, and the personal data truly in it (type -> count)."""
        r = self.r
        labels: dict[str, int] = {}

        def add(t: str) -> None:
            labels[t] = labels.get(t, 0) + 1

        name = self.g.fakers["en_US"].first_name() + " " + self.g.fakers["en_US"].last_name()
        kind = r.randrange(6)
        parts: list[str] = []
        if kind == 0:  # support ticket
            email = self.g.email()
            phone, ok = self.phone()
            parts.append(f"Ticket: customer {name} <{email}> called from {phone} about {self.decoy()}.")
            add("person_name"); add("email")
            if ok:
                add("phone")
        elif kind == 1:  # log line
            ip = self.g.ip()
            parts.append(f"{dt.datetime(2024, 1, 1) + dt.timedelta(seconds=r.randrange(10**7)):%Y-%m-%dT%H:%M:%SZ} INFO "
                         f"req={uuid.UUID(int=r.getrandbits(128))} {self.decoy()} client={ip} latency={r.randint(1, 999)}ms "
                         f"order_id={self.digits(r.choice([8, 10, 11, 12]))} version=4.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(100, 999)}")
            add("ip_address")
        elif kind == 2:  # letter
            parts.append(f"Dear {name},\nyour parcel will be delivered to {self.address()}. {self.decoy()}")
            add("person_name"); add("postal_address")
        elif kind == 3:  # payment note
            parts.append(f"Paid by card {self.card()} on {dt.date(2024, r.randint(1, 12), r.randint(1, 28))}; {self.decoy()}.")
            add("payment_card")
        elif kind == 4:  # KYC note
            value, label = self.national_id()
            parts.append(f"KYC checked: {label} {value}, name: {name}. {self.decoy()}")
            add("national_id"); add("person_name")
        else:  # decoys only
            parts.append(f"Batch {self.decoy()} done; {self.decoy()}; {self.decoy()}.")
        return " ".join(parts), labels


def documents(seed: int = 21, n: int = 1000) -> list[tuple[str, dict[str, int]]]:
    g = NoisyGen(seed)
    return [g.document() for _ in range(n)]


def noisy_columns(seed: int = 23, per_type: int = 20, rows: tuple[int, int] = (30, 150)) -> list[Column]:
    """Columns of the independent generator: mixed formats in one column, values with
    separators and country prefixes, notes with embedded values, and near-miss decoys
    (app versions, order and invoice numbers, SKUs) under telling names."""
    g = NoisyGen(seed)
    r = g.r
    out: list[Column] = []

    def col(maker: Callable[[], object], n: int) -> list:
        return [None if r.random() < 0.08 else maker() for _ in range(n)]

    for i in range(per_type):
        n = r.randint(*rows)
        out.append((r.choice(["phone", "contact_no", "field_a", "hp"]), col(lambda: g.phone()[0], n), frozenset({"phone"})))
        out.append((r.choice(["address", "alamat", "ship_to", "field_b"]), col(g.address, n), frozenset({"postal_address"})))
        out.append((r.choice(["card", "pan", "field_c"]), col(g.card, n), frozenset({"payment_card"})))
        out.append((r.choice(["id_no", "national_id", "field_d"]), col(lambda: g.national_id()[0], n), frozenset({"national_id"})))
        out.append((r.choice(["app_version", "build", "os_version"]),
                    col(lambda: f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}.{r.randint(100, 250)}", n), frozenset()))
        out.append((r.choice(["order_id", "invoice_no", "sku_code"]), col(lambda: g.digits(r.choice([8, 10, 12])), n), frozenset()))
        out.append((r.choice(["company_uen", "uen"]), col(_uen(r), n), frozenset()))
        out.append(("notes", col(lambda: g.document()[0], n), frozenset()))  # labelled per value below
    # a notes column's labels are the types its documents hold in most rows
    fixed: list[Column] = []
    for name, values, labels in out:
        if name == "notes":
            continue
        fixed.append((name, values, labels))
    r.shuffle(fixed)
    return fixed


def _uen(r: random.Random) -> Callable[[], str]:
    from stdnum.sg import uen

    def make() -> str:
        body = f"{r.randint(1990, 2024)}{r.randrange(10**5):05d}"
        return body + uen.calc_local_company_check_digit(body)

    return make

"""How ``tests/data/id_card_verdicts.json.gz`` was made: the national-id and payment-card
verdicts of the validators as they were before their fast paths (commit 372256d), on a fixed
set of values, with today's date frozen at 2026-06-15. Run once from the repository root::

    .venv/bin/python tests/data/record_id_card_verdicts.py

It builds the values (valid ids of every kind, near misses, their printed forms, random strings
of the shapes free text hands the validators, the ids the corpus generators make, dates of birth
on either side of the frozen day; card numbers of every IIN prefix and length, near misses,
separated forms, Unicode digits), extracts commit 372256d's ``auditor`` package with ``git
archive`` and asks it, in a child process, for its verdicts. The values are stored with their
verdicts, so the tests (``tests/unit/classify/test_id_shape_dispatch.py``,
``test_card_fastpath.py``) do not depend on this script, the corpus generators or the date.
Running it again rewrites the file (with the same content while the generators are unchanged).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from stdnum import luhn
from stdnum.in_ import aadhaar
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn as korea_rrn

from auditor.classify import ids

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("id_card_verdicts.json.gz")
COMMIT = "372256d"
TODAY = "2026-06-15"

# The child: commit 372256d's package (first on sys.path), the date frozen, a verdict per value.
_CHILD = """
import datetime, json, sys
sys.path.insert(0, sys.argv[1])
from auditor.classify import ids, validators
assert ids.__file__.startswith(sys.argv[1]), ids.__file__
ids._today = lambda second: datetime.date.fromisoformat(sys.argv[2])

def answer(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # the same exception type counts as the same answer
        return type(exc).__name__

values = json.load(sys.stdin)
json.dump({
    "national_id": [[v, answer(ids.validate_national_id, v), answer(validators.national_id, v, False),
                     answer(validators.national_id, v, True)] for v in values["national_id"]],
    "payment_card": [[v, answer(validators.payment_card, v)] for v in values["payment_card"]],
    "card_brand": [[v, answer(validators.card_brand, v)] for v in values["card_brand"]],
}, sys.stdout, ensure_ascii=False)
"""


def _corpus():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("corpus_for_ids", ROOT / "benchmarks" / "corpus.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _valid_ids(rng: random.Random, n: int) -> list[str]:
    """Valid ids of the digit-only kinds (and their printed forms), built from their checks."""
    out: list[str] = []
    for _ in range(n):
        body11 = rng.choice("23456789") + _digits(rng, 10)
        out.append(body11 + aadhaar.verhoeff.calc_check_digit(body11))  # Aadhaar
        body = _digits(rng, 11)
        out.append(body + my_number.calc_check_digit(body))  # My Number
        first = rng.choice("12345678") + _digits(rng, 11)
        out.append(first + str(ids.thai_check_digit(first)))  # Thai id
        y, m, d = rng.randrange(1930, 2024), rng.randrange(1, 13), rng.randrange(1, 29)
        place = rng.choice(sorted(ids._MY_PLACES))
        out.append(f"{y % 100:02d}{m:02d}{d:02d}{place}{_digits(rng, 4)}")  # MyKad
        prov = rng.choice(sorted(ids._NIK_PROVINCES))
        out.append(f"{prov}{rng.randrange(1, 80):02d}{rng.randrange(1, 40):02d}{d + rng.choice((0, 40)):02d}{m:02d}"
                   f"{y % 100:02d}{rng.randrange(1, 10000):04d}")  # NIK
        vn = rng.choice(sorted(ids._VN_PROVINCES))
        out.append(f"{vn}{rng.randrange(10)}{_digits(rng, 8)}")  # CCCD
        cn = f"{rng.choice(['11', '31', '44', '51'])}{_digits(rng, 4)}{y}{m:02d}{d:02d}{_digits(rng, 3)}"
        out.append(cn + ids.cn_check_char(cn))  # China resident id
        rrn_body = f"{y % 100:02d}{m:02d}{d:02d}{rng.choice('1234')}{rng.randrange(100):02d}{_digits(rng, 3)}"
        rrn = rrn_body + korea_rrn.calc_check_digit(rrn_body)  # Korea RRN (a place of birth over 96 now and then)
        out += [rrn, f"{rrn[:6]}-{rrn[6:]}"]
    return out


def _near_misses(rng: random.Random, values: list[str]) -> list[str]:
    out = []
    for value in values:
        i = rng.randrange(len(value))
        out.append(value[:i] + rng.choice("0123456789") + value[i + 1:])  # one digit changed
        out.append(value[:-1])
        out.append(value + rng.choice("0123456789X"))
        out.append(f" {value} ")
        if len(value) == 12:
            out.append(f"{value[:4]} {value[4:8]} {value[8:]}")
            out.append(f"{value[:4]}-{value[4:8]}-{value[8:]}")
            out.append(f"{value[:6]}-{value[6:8]}-{value[8:]}")
    return out


def _random_shapes(rng: random.Random, n: int) -> list[str]:
    """Strings of the lengths and characters free text hands the validator, unicode digits too."""
    alphabet = "0123456789" * 6 + "STFGMAXZstfx" + " -()" + "٣٤" + "²"
    out = []
    for _ in range(n):
        out.append(_digits(rng, rng.randrange(7, 20)))
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(8, 19))))
        out.append(_digits(rng, 12).replace(rng.choice("0123456789"), rng.choice("٣٤")))
    return out


def _known_ids(n: int) -> list[str]:
    """The ids the corpus generators make for columns and for free text."""
    corpus = _corpus()
    gen, noisy = corpus.Gen(5), corpus.NoisyGen(6)
    out = []
    for _ in range(n):
        out += [gen.nric(), gen.nric_sku(), gen.cn_id(), gen.th_id(), gen.mykad(), gen.nik(), gen.order_no()]
        out.append(noisy.national_id()[0])
        out.append(noisy.digits(noisy.r.choice([8, 10, 11, 12, 13, 16])))
    return out


def _around_today() -> list[str]:
    """Dates of birth on either side of the frozen day and of the oldest age allowed (130 years; 125
    for China): a test that does not freeze the date gives other verdicts for some of them."""
    out = []
    for ymd in ["260614", "260615", "260616", "260701", "261231", "270101", "991231", "000101", "960615", "960616",
                "960614", "970101", "951231", "250615"]:
        out += [f"{ymd}14{n:04d}" for n in (1234, 5678)]  # MyKad (the century from the year)
        out.append(f"{ymd[:2]}{ymd[2:4]}{ymd[4:]}-01-1234")
        for code in "0123456789":  # Korea RRN (1800s to 2000s), with and without its check
            body = f"{ymd}{code}01234"
            out += [body + korea_rrn.calc_check_digit(body), body + "0"]
    for dmy in ["140626", "150626", "160626", "550626", "560626", "150697", "150696", "010197"]:
        out.append(f"317101{dmy}0001")  # NIK (day + 40 for women)
    for ymd in ["20260614", "20260615", "20260616", "20261231", "19010101", "19001231", "19960615"]:
        body = f"110105{ymd}123"
        out += [body + ids.cn_check_char(body), body + "0"]
    for year_digit in "0123456789":  # CCCD: the century digit against the frozen year
        out += [f"001{year_digit}{yy}123456" for yy in ("00", "25", "26", "27", "99")]
    return out


def _edges(valid: list[str]) -> list[str]:
    """The checks past the shape, one at a time: MyKad and NIK zero fields and places, the Aadhaar
    first digit and palindrome rules, and valid ids written in other Unicode digits."""
    out = ["880101140000", "880101-14-0000", "880101001234", "880101-00-1234", "880101171234", "880101-21-1234",
           "880101991234", "880101981234", "880230141234", "880229141234", "000229141234", "010229141234",
           "3171011501900000", "3100011501900001", "3171001501900001", "3171015501900001", "3171017101900001",
           "3171013202900001", "3171016902900001", "3171017002900001", "1000011501900001", "9999011501900001"]
    for body in ["012345678901", "123456654321", "234567765432", "200000000002"]:  # Aadhaar: 0/1 first, palindromes
        for d in "0123456789":
            out.append(body[:-1] + d)
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    out += [value.translate(arabic) for value in valid[:300]]
    return out


FIXED = [  # the ids the other classifier tests use, and their decoys
    "S1234567D", "T0123456C", "S1234567A", "M1234567K", "G1234567X", "A123456(3)", "A1234563", "AB9876543",
    "A123456789", "F131186754", "900101-1234567", "9001011234567", "880101-14-5678", "880101145678",
    "1234 5678 9012", "2345-6789-0123", "1234-5678901-2", "12-3456789-0", "1-2345-67890-12-3",
    "110105199001011234", "11010519900101123X", "3171012345670001", "079123456789", "123456789012",
    "000000000000", "999999999999", "121212121212", "53202401234C", "201912345K", "T09LL0001B",
]

CARD_PREFIXES = ["4", "51", "55", "2221", "2720", "34", "37", "2200", "2204", "6011", "644", "649", "65", "622126",
                 "622925", "3528", "3589", "2131", "1800", "8100", "8171", "62", "300", "305", "3095", "36", "38", "39",
                 "50", "56", "69", "0", "1", "7", "9", "22", "35", "60", "64", "81"]
SHORT_PREFIXES = ["4", "41", "51", "5112", "34567", "622126", "62212", "0", "00000", "3095", "1800"]


def _cards(rng: random.Random) -> list[str]:
    out = []
    for prefix in CARD_PREFIXES:
        for n in range(12, 21):
            for _ in range(3):
                body = prefix + _digits(rng, max(n - len(prefix) - 1, 0))
                good = body + luhn.calc_check_digit(body)
                out += [good, body + rng.choice("0123456789")]
                if len(good) == 16:
                    out += [" ".join(good[i:i + 4] for i in range(0, 16, 4)), "-".join(good[i:i + 4] for i in range(0, 16, 4))]
    for _ in range(600):
        out.append(_digits(rng, rng.randrange(1, 22)))
        out.append("".join(rng.choice("0123456789 -٣x") for _ in range(rng.randrange(12, 24))))
    out += ["٤١١١١١١١١١١١١١١١", "4111111111111111", "411111111111111١", "4111 1111 1111 1111", "4111-1111-1111-1111",
            "4111  1111 1111 1111", "4111 1111-1111 1111", "", " 4111111111111111", "4111111111111111 "]
    return out


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def main() -> None:
    rng = random.Random(2311)
    valid = _valid_ids(rng, 150)
    id_values = _unique(FIXED + _around_today() + _edges(valid) + valid + _near_misses(rng, valid[:600]) + _random_shapes(rng, 400)
                        + _known_ids(150))
    values = {"national_id": id_values, "payment_card": _unique(_cards(random.Random(41))), "card_brand": SHORT_PREFIXES}
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", COMMIT, "auditor"], cwd=ROOT, check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        child = subprocess.run([sys.executable, "-c", _CHILD, tmp, TODAY], cwd=tmp, check=True, capture_output=True,
                               input=json.dumps(values).encode())
    verdicts = json.loads(child.stdout)
    record = {"commit": COMMIT, "today": TODAY, "made_by": "tests/data/record_id_card_verdicts.py", **verdicts}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")).replace("],[", "],\n[")
    OUT.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    print(f"{OUT.relative_to(ROOT)}: {len(id_values)} ids, {len(values['payment_card'])} card values, "
          f"{OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()

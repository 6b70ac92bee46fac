"""A column of floats becomes the same texts (and digest) by the column path as value by value."""

import hashlib
import random

from connectors.sql.sampling import number_text, read_rows

EDGES = [0.0, -0.0, 1.0, -1.5, 1e21, 1e22, -1e22, 9.999e21, 1e300, float("nan"), float("inf"),
         -float("inf"), 4111111111111111.0, 0.1, 2.5e-300, 123456789.0, 5e-324, 1.7976931348623157e308]


def test_float_column_texts_are_number_text() -> None:
    rnd = random.Random(7)
    values = EDGES + [rnd.uniform(-1e6, 1e6) for _ in range(500)] + \
        [float(rnd.randint(-10**15, 10**15)) for _ in range(500)] + [None, None]
    rows = [(v, "x") for v in values]
    got = read_rows(["score", "k"], rows)
    assert got.fields["score"] == [number_text(v) for v in values if v is not None]
    # a mixed column (an int among the floats) goes cell by cell: the same texts
    mixed = read_rows(["score", "k"], rows + [(1, "x")])
    assert mixed.fields["score"][:-1] == got.fields["score"]
    rows_digests = sorted(hashlib.sha256("\x1f".join(("\x00" if v is None else number_text(v), "x")).encode()).digest()
                          for v in values)
    assert got.digest == hashlib.sha256(b"".join(rows_digests)).hexdigest()

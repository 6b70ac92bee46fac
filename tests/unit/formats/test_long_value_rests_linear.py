"""The rest of each long value (past MAX_CELL_CHARS) is read as the object's text within its
budget (ReadResult.add_rest). The budget check summed the length of every text chunk so far for
each long value: quadratic in the long values of an object (a JSON export of 64,000 notes took
42 s in the reader alone). Each chunk's length is now counted once."""

from __future__ import annotations

from connectors.formats.common import MAX_TEXT_CHARS, ReadResult


def test_each_text_chunk_is_measured_once_not_once_per_long_value():
    measured = [0]

    class Counted(str):
        def __len__(self) -> int:
            measured[0] += 1
            return str.__len__(self)

    result = ReadResult(text=[Counted("a" * 10) for _ in range(1000)])
    for _ in range(1000):
        result.add_rest("b" * 300)
    assert measured[0] <= 2 * 1000, measured[0]  # was 1,000 x 1,000


def test_the_text_budget_still_holds_and_what_does_not_fit_is_counted():
    result = ReadResult(text=["x" * (MAX_TEXT_CHARS - 1000)])
    result.add_rest("y" * 600)
    result.add_rest("z" * 600)  # over the budget: counted, not read
    result.text.append("w" * 100)  # text added by a reader between long values is counted too
    result.add_rest("v" * 350)  # 1000 - 600 - 100 = 300 left: does not fit
    result.add_rest("u" * 300)  # fits exactly
    assert sum(map(len, result.text)) == MAX_TEXT_CHARS
    assert result.cut_cells == 2


def test_naming_a_skipped_part_does_not_compare_it_with_every_part_named_before():
    """A tarball's links are each named (e49a018): 'tar: member 'x' is a link; not followed'. Each name
    was checked against every one before it (a list's ``in``): 40,000 links took 10 s in the reader."""
    compared = [0]

    class Counted(str):
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            compared[0] += 1
            return str.__eq__(self, other)

    result = ReadResult(skips=[Counted(f"tar: member 'l{i}' is a link; not followed") for i in range(1000)])
    for i in range(1000, 2000):
        result.skip(f"tar: member 'l{i}' is a link; not followed")
    result.skip("tar: member 'l5' is a link; not followed")  # named once
    assert len(result.skips) == 2000
    assert compared[0] <= 2 * 1000, compared[0]  # was 1,000 x 1,000


def test_each_result_names_its_own_skips():
    a, b = ReadResult(), ReadResult()
    a.skip("zip: member 'x' is encrypted; not read")
    b.skip("zip: member 'x' is encrypted; not read")
    assert a.skips == b.skips == ["zip: member 'x' is encrypted; not read"]

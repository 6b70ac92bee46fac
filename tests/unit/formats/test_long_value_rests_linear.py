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

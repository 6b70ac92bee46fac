"""The report's data islands: the same text as Jinja's ``tojson`` without spaces, whatever encodes them."""

from jinja2.utils import htmlsafe_json_dumps

from reports.html import compact_json

HOSTILE = ["</script><script>alert(1)</script>", "a'b\"c&d", "\x00\x1f\x7f\u2028\u2029", "é 😀 \t\n\r\b\f\\/",
           "\ud800 lone surrogate", ""]


def test_islands_read_as_tojson_without_spaces():
    islands = [
        {"strings": HOSTILE, "rows": [[0, 1, -1, [2, 3]], [4, 5, 0, []]], "page": 100},
        {"strings": HOSTILE[:3], "waive": ["auditor waive ", " --until 2027-01-01"], "groups": {"g0-0": {"rows": [[0]]}}},
        {"big": 2**70, "none": None, "yes": True},  # past 64 bits: the standard library's encoder
        {1: "a non-text key"},
    ]
    for island in islands:
        assert str(compact_json(island)) == str(htmlsafe_json_dumps(island, separators=(",", ":"), ensure_ascii=False))
    assert "</script" not in str(compact_json(islands[0]))

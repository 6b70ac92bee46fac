"""A bucket split into prefix units (issue 21: a top-level prefix of a huge bucket as its own unit): the
trees built per top-level prefix, merged (connectors.objects.merge_split), hold what one tree fed the
whole listing holds: every node's aggregates and the same sampled picks. Where that cannot be exact
(depth 0, a roll-up past max_prefixes), the merge says so (None) instead of guessing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from connectors.objects import PrefixTree, merge_split, top_level


def _listing(seed: int, n: int) -> list[tuple[str, int, datetime, bool]]:
    """A bucket's listing in key order (as S3 and GCS list): root-level keys between the prefixes."""
    rng = random.Random(seed)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    keys = set()
    while len(keys) < n:
        parts = [rng.choice(["a", "b", "c", "dd", "a.b"]) for _ in range(rng.choice([0, 0, 1, 2, 3, 4]))]
        keys.add("/".join([*parts, f"f{rng.randrange(10**6)}.csv" if rng.random() > 0.03 else ""]))
    return [(k, rng.choice([0, 1, 10, 4096]), base + timedelta(seconds=rng.randint(0, 10**8)), rng.random() > 0.2)
            for k in sorted(keys)]


def _state(tree: PrefixTree) -> list[tuple]:
    return [(n.path, n.objects, n.bytes, n.newest, n.oldest, n.direct, n.noncurrent, n.noncurrent_bytes,
             n.newest_noncurrent, [p.key for p in tree.picks(n)]) for n in tree] + [tree.rolled_up, tree.note]


def _split(objs, depth, max_prefixes=10_000, sample=5):
    def tree():
        t = PrefixTree(depth, sample, seed="bucket", max_prefixes=max_prefixes)
        t.versions_listed = True
        return t
    root, parts = tree(), {}
    for key, size, mod, cur in objs:  # each unit lists its own prefix, in key order
        top = top_level(key)
        (parts.setdefault(top, tree()) if top else root).add(key, size, mod, current=cur)
    return root, list(parts.values())


@pytest.mark.parametrize(("seed", "depth", "sample"), [(1, 1, 5), (2, 2, 5), (3, 3, 4), (4, 5, 3), (5, 2, 0)])
def test_prefix_units_merge_to_the_whole_bucket_tree(seed, depth, sample):
    objs = _listing(seed, 4000)
    whole = PrefixTree(depth, sample, seed="bucket")
    whole.versions_listed = True
    for key, size, mod, cur in objs:
        whole.add(key, size, mod, current=cur)
    root, parts = _split(objs, depth, sample=sample)
    assert len(parts) == 5 and root.root.objects  # root-level objects and every top-level prefix
    merged = merge_split(root, reversed(parts))  # in whatever order the units came back
    assert merged is not None
    assert _state(merged) == _state(whole)
    assert merged.versions_listed
    # the picks are not trivially everything: reservoirs were full and replaced
    assert sample == 0 or any(n.direct > sample for n in whole)


def test_depth_zero_is_not_split():
    objs = _listing(6, 500)
    root, parts = _split(objs, 0)
    assert merge_split(root, parts) is None


def test_a_roll_up_is_not_merged():
    objs = _listing(7, 2000)
    root, parts = _split(objs, 3, max_prefixes=10)
    assert any(p.rolled_up for p in parts)
    assert merge_split(root, parts) is None
    # nor when each part stayed within the bound but together they would not have
    root, parts = _split(objs, 3, max_prefixes=40)
    if not any(p.rolled_up for p in parts):
        assert sum(len(p.nodes) - 1 for p in parts) > 40
    assert merge_split(root, parts) is None


def test_root_tree_must_hold_root_level_objects_only():
    objs = _listing(8, 300)
    root, parts = _split(objs, 2)
    parts[0].add("zz-root-level.csv", 5, objs[0][2])
    with pytest.raises(ValueError):
        merge_split(root, parts)

"""PrefixTree.add_many (the inventory reports' bulk path) gives what add() one object at a time gives:
the same aggregates per prefix, the same sampled picks, the same roll-up once the tree is full."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from connectors.objects import PrefixTree


def _objects(seed: int, n: int) -> list[tuple[str, int, datetime, bool]]:
    rng = random.Random(seed)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        parts = [rng.choice(["a", "b", "c", "dd"]) for _ in range(rng.randint(0, 5))]
        key = "/".join([*parts, f"f{i}.csv" if rng.random() > 0.05 else ""])  # some "folder" keys end in /
        if rng.random() < 0.6 and out:  # runs of keys in one prefix, as reports and listings give them
            key = out[-1][0].rsplit("/", 1)[0] + f"/g{i}" if "/" in out[-1][0] else f"g{i}"
        out.append((key, rng.choice([0, 1, 10, 4096]), base + timedelta(seconds=rng.randint(0, 10**8)),
                    rng.random() > 0.2))
    return out


def _state(tree: PrefixTree) -> list[tuple]:
    return [(n.path, n.objects, n.bytes, n.newest, n.oldest, n.direct, n.noncurrent, n.noncurrent_bytes,
             n.newest_noncurrent, [p.key for p in tree.picks(n)]) for n in tree] + [tree.rolled_up]


@pytest.mark.parametrize(("seed", "depth", "max_prefixes"), [(1, 3, 10_000), (2, 0, 10_000), (3, 2, 5), (4, 5, 40)])
def test_add_many_is_add_one_at_a_time(seed, depth, max_prefixes):
    objs = _objects(seed, 3000)
    one, bulk = (PrefixTree(depth, 5, seed="s", max_prefixes=max_prefixes) for _ in range(2))
    for key, size, mod, cur in objs:
        one.add(key, size, mod, current=cur)
    for start in range(0, len(objs), 700):  # in batches, as a report is read
        part = objs[start:start + 700]
        bulk.add_many([o[0] for o in part], [o[1] for o in part], [o[2] for o in part], [o[3] for o in part])
    assert _state(bulk) == _state(one)
    assert one.rolled_up or max_prefixes == 10_000  # the small trees did fill up


def test_the_prefix_cache_does_not_confuse_siblings():
    tree = PrefixTree(depth=2, sample_objects=0)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for key in ("a/x", "a/b/y", "a/bc/z", "ab/w", "a/b/c/d/e", "a/b/v", "top"):
        tree.add(key, 1, base)
    assert {p: n.objects for p, n in tree.nodes.items()} == {"": 7, "a/": 5, "a/b/": 3, "a/bc/": 1, "ab/": 1}

"""`source_timeout_seconds` is each source's ("a source still running after this is not-assessed",
README). It was one deadline for the whole collection from its start: with a hung vendor holding a
slot (`concurrency`), the sources queued behind it never started and were all reported "timed out
after Ns"; one hung vendor failed the whole nightly run. Now each source's clock starts when it
starts, and a source given up frees its slot for the next."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from auditor.config import parse_config
from auditor.engine import collect_all
from auditor.redact import Redactor


def _config(tmp_path, concurrency: int, hung: int, fine: int):
    sources = [f"  - {{id: hung{i}, vendor: v, kind: fake, sleep: 6, datasets: [{{name: t}}]}}" for i in range(hung)]
    sources += [f"  - {{id: fine{i}, vendor: v, kind: fake, sleep: 0.3, datasets: [{{name: t}}]}}" for i in range(fine)]
    text = (f"state: sqlite:///{tmp_path}/state.db\nsource_timeout_seconds: 1\nconcurrency: {concurrency}\n"
            "vendors: [{id: v}]\nsources:\n" + "\n".join(sources) + "\n")
    return parse_config(text, str(tmp_path / "auditor.yaml"))


def test_sources_queued_behind_a_hung_one_still_run(tmp_path, fake_connector):
    config = _config(tmp_path, concurrency=1, hung=1, fine=2)
    started = time.monotonic()
    outcomes = collect_all(config, config.sources, datetime.now(timezone.utc), Redactor())
    elapsed = time.monotonic() - started
    status = {o.result.id: (o.result.status, o.result.error) for o in outcomes}
    assert status["hung0"][0] == "error" and "timed out after 1s" in (status["hung0"][1] or "")
    assert status["fine0"] == ("ok", None) and status["fine1"] == ("ok", None), status
    assert [o.result.id for o in outcomes] == ["hung0", "fine0", "fine1"]  # config order kept
    assert elapsed < 4, elapsed  # 1 s for the hung one, then the others: never its 6 s


def test_every_source_still_ends_within_its_own_timeout(tmp_path, fake_connector):
    config = _config(tmp_path, concurrency=2, hung=3, fine=1)
    started = time.monotonic()
    outcomes = collect_all(config, config.sources, datetime.now(timezone.utc), Redactor())
    elapsed = time.monotonic() - started
    status = {o.result.id: o.result.status for o in outcomes}
    assert status == {"hung0": "error", "hung1": "error", "hung2": "error", "fine0": "ok"}, status
    assert elapsed < 5, elapsed  # two rounds of 1 s (plus the quick one), not 3 x 6 s


def test_a_timed_out_source_names_the_setting_that_gives_it_more_time(tmp_path, fake_connector):
    """The not-assessed fix said 'grant the read permission (or fix the connection)': neither gives a
    large but healthy source the time it needs; the reason names the config key that does."""
    config = _config(tmp_path, concurrency=1, hung=1, fine=0)
    [o] = collect_all(config, config.sources, datetime.now(timezone.utc), Redactor())
    assert "source_timeout_seconds" in (o.result.error or ""), o.result.error

"""Review: the SIGTERM/SIGINT handler still leaves with 128 + signal when its note to stderr cannot be
written because the signal arrived inside a write to stderr (CPython's BufferedWriter raises
RuntimeError 'reentrant call' from a handler that writes to the stream it interrupted, e.g. a
log line to stderr blocked on a full pipe). Else the run ends as 'internal error: RuntimeError'."""

import signal
import sys

import pytest

from auditor import cli


class _Reentrant:
    def write(self, _text: str) -> int:
        raise RuntimeError("reentrant call inside <_io.BufferedWriter name='<stderr>'>")

    def flush(self) -> None:
        raise RuntimeError("reentrant call inside <_io.BufferedWriter name='<stderr>'>")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_signal_handler_exits_128_plus_signal_when_stderr_is_mid_write(monkeypatch, signum):
    monkeypatch.setattr(sys, "stderr", _Reentrant())
    with pytest.raises(SystemExit) as exc:
        cli._terminate(signum, None)
    assert exc.value.code == 128 + signum

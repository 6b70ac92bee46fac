"""A classifier worker that misbehaves on purpose, for tests/unit/test_classify_pool_misbehaving.py
(imported by the worker process, found on the parent's sys.path; started by that module's
``FAKE_BOOT``). ``FAKE_CLASSIFY_WORKER`` (inherited: ``-I`` ignores only PYTHON* variables) says how:

- ``int``: answers ``(job, 42)`` (a verdict of no known shape)
- ``strs``: answers a tuple of str instead of PersonalData
- ``ahead``: on job k, first answers job k+1 (not yet read) with ``()`` (nothing found), then k
- ``closeout``: closes its output after the first sample and lingers
- ``hugelen``: answers a length prefix of 2**62, then nothing
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time

from auditor.classify_pool import _LEN, _read_frame, _write_frame, verdict_of
from auditor.models import Sample

ENV = "FAKE_CLASSIFY_WORKER"


def serve() -> None:
    mode = os.environ.get(ENV, "")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    frame = _read_frame(inp)
    if frame is None:
        return
    options = pickle.loads(frame)
    _write_frame(out, pickle.dumps((0, "ready")))
    while (frame := _read_frame(inp)) is not None:
        (job,) = _LEN.unpack_from(frame)
        fields, text = pickle.loads(memoryview(frame)[_LEN.size:])[:2]
        verdict = verdict_of(Sample.model_construct(fields=fields, text=text, rows=None), options)
        if mode == "closeout":  # its output ends, the process lingers (a native library closing fds, a hang)
            out.close()
            time.sleep(30)
            return
        if mode == "hugelen":
            out.write(_LEN.pack(1 << 62))
            out.flush()
            continue
        if mode == "int":
            _write_frame(out, pickle.dumps((job, 42)))
        elif mode == "strs":
            _write_frame(out, pickle.dumps((job, ("email",))))
        elif mode == "ahead":
            _write_frame(out, pickle.dumps((job + 1, ())))
            _write_frame(out, pickle.dumps((job, verdict)))
        else:
            _write_frame(out, pickle.dumps((job, verdict)))

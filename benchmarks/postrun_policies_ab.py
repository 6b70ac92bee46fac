"""In one process: ``policies.evaluate`` and ``policies.judge`` of two code trees' policies packages,
alternated 15 times on the same inputs (those of one replayed run, see postrun_ab.py), after checking
both give the same findings. One process, so both sides see the same machine at the same moments.

    .venv/bin/python benchmarks/postrun_policies_ab.py /tmp/pg.pickle /work/wt/reports_base .
"""
import sys, tempfile, time, importlib
from pathlib import Path
from datetime import timedelta
sys.path.insert(0, str(Path(__file__).resolve().parent))
import postrun_ab as b
from auditor.gcpause import fewer_collections

def load_pkg(tree):
    for k in [k for k in sys.modules if k == "policies" or k.startswith("policies.")]:
        del sys.modules[k]
    sys.path.insert(0, tree)
    m = importlib.import_module("policies")
    sys.path.remove(tree)
    mods = {k: v for k, v in sys.modules.items() if k == "policies" or k.startswith("policies.")}
    return m, mods
A, modsA = load_pkg(sys.argv[2])
B, modsB = load_pkg(sys.argv[3])
print(A.__file__, B.__file__)
import policies as cur  # whichever is in sys.modules (B): the engine's run uses it to capture the inputs
from auditor.engine import RunOptions, run_audit
got = {}
real = cur.evaluate
def cap(*a, **kw):
    got["args"] = a; return real(*a, **kw)
cur.evaluate = cap
realj = cur.judge
def capj(*a, **kw):
    got["jargs"] = a; return realj(*a, **kw)
cur.judge = capj
with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    config = b._setup(sys.argv[1], folder, fixed=False)
    run_audit(config, RunOptions(as_of=b.FIXED + timedelta(days=1)))
ps, datasets, errors, results, vendors, as_of = got["args"]
pj, dj, vj, aj = got["jargs"]
# each package evaluates with a policy set it loaded itself (its own registry of checks)
def policy_for(pkg, mods):
    sys.modules.update(mods)
    return pkg.load_policies(list(config.policies), Path(config.base_dir), config.personal_data_types())
psA, psB = policy_for(A, modsA), policy_for(B, modsB)
fa = A.evaluate(psA, datasets, errors, results, vendors, as_of); fb = B.evaluate(psB, datasets, errors, results, vendors, as_of)
assert [f.model_dump_json() for f in fa] == [f.model_dump_json() for f in fb], "findings differ"
for label, fnA, fnB in (("evaluate", lambda: A.evaluate(psA, datasets, errors, results, vendors, as_of),
                                      lambda: B.evaluate(psB, datasets, errors, results, vendors, as_of)),
                        ("judge", lambda: A.judge(psA, dj, vj, aj), lambda: B.judge(psB, dj, vj, aj))):
    ta, tb = [], []
    for i in range(15):
        for fn, acc in ((fnA, ta), (fnB, tb)) if i % 2 == 0 else ((fnB, tb), (fnA, ta)):
            with fewer_collections():
                c = time.process_time(); fn(); acc.append(time.process_time() - c)
    ta.sort(); tb.sort()
    print(f"{label:10s} A median {ta[7]*1000:6.1f} min {ta[0]*1000:6.1f} | B median {tb[7]*1000:6.1f} min {tb[0]*1000:6.1f} ms | B/A medians {tb[7]/ta[7]:.3f} mins {tb[0]/ta[0]:.3f}")

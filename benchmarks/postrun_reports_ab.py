"""In one process: ``write_reports`` (JSON, HTML, CSV) of two code trees' reports packages, alternated
15 times on one replayed run (see postrun_ab.py), after checking both write the same bytes; then
this side's writers one by one (least of 5).

    .venv/bin/python benchmarks/postrun_reports_ab.py /tmp/pg.pickle /work/wt/reports_base .
"""
import sys, tempfile, time, importlib, filecmp
from pathlib import Path
from datetime import timedelta
sys.path.insert(0, str(Path(__file__).resolve().parent))
import postrun_ab as b
from auditor.engine import RunOptions, run_audit
tmp = Path(tempfile.mkdtemp(prefix="reports_repab_"))
config = b._setup(sys.argv[1], tmp, fixed=True)
run = run_audit(config, RunOptions(as_of=b.FIXED + timedelta(days=1)))

def load_pkg(tree):
    for k in [k for k in sys.modules if k == "reports" or k.startswith("reports.")]:
        del sys.modules[k]
    sys.path.insert(0, tree)
    importlib.import_module("reports.write"); importlib.import_module("reports.html")
    importlib.import_module("reports.json_report"); importlib.import_module("reports.csv_report")
    sys.path.remove(tree)
    mods = {k: v for k, v in sys.modules.items() if k == "reports" or k.startswith("reports.")}
    mods["reports.html"].datetime = b._Clock
    return mods
mA = load_pkg(sys.argv[2]); mB = load_pkg(sys.argv[3])
print(mA["reports.write"].__file__, mB["reports.write"].__file__)
def side(mods, d):
    sys.modules.update(mods)
    d.mkdir(exist_ok=True)
    b._Clock.tick = 0
    mods["reports.write"].write_reports(run, d / "r.json", d / "r.html", d / "r.csv")
side(mA, tmp / "A"); side(mB, tmp / "B")
for n in ("r.json", "r.html", "r.csv", "r-datasets.csv"):
    assert filecmp.cmp(tmp / "A" / n, tmp / "B" / n, shallow=False), n
print("reports identical")
ta, tb = [], []
for i in range(15):
    for mods, acc, d in ((mA, ta, "A"), (mB, tb, "B")) if i % 2 == 0 else ((mB, tb, "B"), (mA, ta, "A")):
        c = time.process_time(); side(mods, tmp / d); acc.append(time.process_time() - c)
ta.sort(); tb.sort()
print(f"write_reports A median {ta[7]*1000:6.1f} min {ta[0]*1000:6.1f} | B median {tb[7]*1000:6.1f} min {tb[0]*1000:6.1f} ms | B/A medians {tb[7]/ta[7]:.3f} mins {tb[0]/ta[0]:.3f}")
sys.modules.update(mB)
W = mB["reports.write"]
from auditor.gcpause import fewer_collections
import reports.html as H, reports.context as C
for label, fn in (("json", lambda: W.write_reports(run, tmp/"x.json")), ("html", lambda: W.write_reports(run, None, tmp/"x.html")),
                  ("csv", lambda: W.write_reports(run, None, None, tmp/"x.csv")),
                  ("context", lambda: C.build_report_context(run)), ("render_html", lambda: H.render_html(run))):
    xs = []
    for _ in range(5):
        with fewer_collections():
            c = time.process_time(); fn(); xs.append(time.process_time() - c)
    print(label, round(min(xs)*1000, 1))

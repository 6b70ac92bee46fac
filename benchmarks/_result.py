"""The one line format benchmarks/run_all.py tabulates into RESULTS.md."""

import json


def result(benchmark: str, figure: str, value: float, unit: str, target: str, met: bool | None) -> None:
    print("RESULT " + json.dumps({"benchmark": benchmark, "figure": figure, "value": round(value, 3), "unit": unit,
                                  "target": target, "met": met}), flush=True)

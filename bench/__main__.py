"""`python -m bench`: measure the performance budgets of DESIGN.md, print them and write
bench/results.json. Figures are measured, never asserted: tests check correctness only.

Ratios are measured within one run (the same machine state), so they compare across
machines; absolute seconds are for this machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import quantlib as ql
import views

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")
QUANT_SIZE = 10**7
PAGE_SIZES = {"1M": (1000, 1000), "16M": (4096, 4096)}
BUDGETS = {"quant_dequant_over_copy": 4.0, "page_rerun_s_1M": 0.5, "page_rerun_s_16M": 2.0,
           "chart_payload_kb": 300.0}


def best_of(fns, repeats: int) -> list[float]:
    """The fastest of ``repeats`` timings of each function, taken in turns, so that a
    burst of other load on the machine disturbs every function alike."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [min(bucket) for bucket in times]


def bench_quantize(repeats: int) -> dict:
    x = ql.generate("normal", (QUANT_SIZE,), seed=0)
    qp = ql.choose_qparams(x, bits=8)
    copy_s, quant_s = best_of([x.copy, lambda: ql.dequantize(ql.quantize(x, qp), qp)],
                              repeats)
    return {"elements": QUANT_SIZE, "copy_s": copy_s, "quant_dequant_s": quant_s,
            "quant_dequant_over_copy": quant_s / copy_s}


def _payloads(at) -> list[int]:
    return [len(el.proto.spec) for el in at.get("plotly_chart")]


# Each page's rerun moves one of its own controls to a value not seen before (no cache
# hits): the page's bits, which change every number it shows.
MOVED = {"uniform": "u_bits", "home": "h_bits"}


def _unseen_values(page) -> list:
    """Values of the page's moved control other than its default, from its Control table."""
    control = page.table[MOVED[page.key]]
    low, high, step = control.bounds.low, control.bounds.high, control.step or 1
    values = [low + i * step for i in range(int((high - low) / step) + 1)]
    return [control.bounds.kind(v) for v in values if v != control.default]


def bench_page(page, shape: tuple[int, int], reruns: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"ws_rows": str(shape[0]), "ws_cols": str(shape[1])})
    at.switch_page(page.path)
    start = time.perf_counter()
    at.run()
    first_s = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    times, payload = [], _payloads(at)
    key = f"{MOVED[page.key]}@en"
    for value in _unseen_values(page)[:reruns]:
        next(w for w in at.main if getattr(w, "key", None) == key).set_value(value)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        payload += _payloads(at)
    return {"elements": shape[0] * shape[1], "first_run_s": first_s,
            "rerun_s_median": statistics.median(times), "rerun_s_max": max(times),
            "largest_chart_kb": max(payload) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--reruns", type=int, default=5)
    args = parser.parse_args()
    quant = bench_quantize(args.repeats)
    built = [page for page in views.PAGES if page.path]
    pages = {f"{page.key}_{size}": bench_page(page, shape, args.reruns)
             for page in built for size, shape in PAGE_SIZES.items()}
    figures = {
        "quant_dequant_over_copy": quant["quant_dequant_over_copy"],
        "page_rerun_s_1M": max(p["rerun_s_median"] for k, p in pages.items() if "1M" in k),
        "page_rerun_s_16M": max(p["rerun_s_median"] for k, p in pages.items()
                                if "16M" in k),
        "chart_payload_kb": max(p["largest_chart_kb"] for p in pages.values()),
    }
    results = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "processor": platform.machine()},
        "quantize": quant, "pages": pages,
        "budgets": {k: {"measured": figures[k], "budget": BUDGETS[k],
                        "within": figures[k] <= BUDGETS[k]} for k in BUDGETS},
    }
    # Keep what other benches wrote (bench.load writes the "load" key).
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.pop("uniform_page", None)  # the old layout of the page figures
    RESULTS.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    print(f"{'figure':<28}{'measured':>12}{'budget':>10}  ok")
    for key, row in results["budgets"].items():
        print(f"{key:<28}{row['measured']:>12.3f}{row['budget']:>10.2f}  "
              f"{'yes' if row['within'] else 'NO'}")
    print(f"quantize+dequantize {quant['quant_dequant_s'] * 1000:.1f} ms vs copy "
          f"{quant['copy_s'] * 1000:.1f} ms on {QUANT_SIZE:,} float32")
    for name, p in pages.items():
        print(f"{name}: first run {p['first_run_s']:.2f} s, rerun median "
              f"{p['rerun_s_median']:.3f} s (max {p['rerun_s_max']:.3f} s), "
              f"largest chart {p['largest_chart_kb']:.1f} KB")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

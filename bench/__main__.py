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
from bench._quiz import bench_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")
QUANT_SIZE = 10**7
PAGE_SIZES = {"1M": (1000, 1000), "16M": (4096, 4096)}
#: figure -> (budget, "max" or "min"): most figures must stay at or below their budget;
#: a speed-up must reach it.
BUDGETS = {"quant_dequant_over_copy": (4.0, "max"), "page_rerun_s_1M": (0.5, "max"),
           "page_rerun_s_16M": (2.0, "max"), "chart_payload_kb": (300.0, "max"),
           "entropy_s_1e7": (0.5, "max"), "mse_s_1e7": (0.5, "max"),
           "entropy_speedup_over_loop": (10.0, "min"), "kmeans_s_1e7": (0.5, "max"),
           "quantile_s_1e7": (0.5, "max"), "codebook_quantize_s_1e7": (0.3, "max"),
           "int_matmul_over_float32": (2.5, "max"),
           "granularity_rerun_s_llm_layer": (1.0, "max"),
           "matmul_rerun_s_large": (2.0, "max")}
CALIBRATION_SIZE = 10**7
CODEBOOK_SIZE = 10**7
MATMUL_SIZE = 1024
#: tokens, in_features, out_features (x is tokens x in, w is out x in)
LLM_INT8_SHAPE = (512, 4096, 4096)
#: A page's run at a size of its own: (workspace shape, more of the page's controls). The
#: Granularity page at an LLM layer: x of 512 x 4096 by w of 4096 x 4096.
PAGE_EXTRA = {"granularity": {"llm_layer": ((512, 4096), {"g_out": "4096"})},
              # The Int8 matmul page at its largest: 1024 x 4096 by 4096 x 4096.
              "matmul": {"large": ((64, 256), {"m_tokens": "1024", "m_features": "4096",
                                               "m_out": "4096"})}}


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


def bench_calibration(repeats: int) -> dict:
    """Entropy and MSE on 1e7 values, and the KL search against the straightforward
    per-candidate loop (build P and Q, take KL, for each of the 1,921 candidates) on the
    same histogram: the histogram itself is common to both and left out of the ratio."""
    from quantlib.calibration import magnitude_histogram
    from quantlib.searches import kl, kl_distributions, kl_divergences, kl_levels

    x = ql.generate("laplace", (CALIBRATION_SIZE,), seed=0, outliers=100)
    entropy_s, mse_s, mse_sym_s = best_of([
        lambda: ql.calibrate(x, "entropy"), lambda: ql.calibrate(x, "mse"),
        lambda: ql.calibrate(x, "mse", symmetric=True)], repeats)
    counts = magnitude_histogram(x).counts
    levels = kl_levels(8, unsigned=False)
    candidates, vectorised_kl = kl_divergences(counts, levels)
    (vectorised_s,) = best_of([lambda: kl_divergences(counts, levels)], repeats)
    start = time.perf_counter()
    looped = np.array([kl(*kl_distributions(counts, int(i), levels)) for i in candidates])
    loop_s = time.perf_counter() - start
    same = bool(np.allclose(looped, vectorised_kl, rtol=1e-9, atol=1e-12, equal_nan=True))
    return {"elements": CALIBRATION_SIZE, "entropy_s": entropy_s, "mse_s": mse_s,
            "mse_symmetric_s": mse_sym_s, "kl_candidates": int(candidates.size),
            "kl_search_vectorised_s": vectorised_s, "kl_search_loop_s": loop_s,
            "kl_loop_equals_vectorised": same, "entropy_speedup_over_loop": loop_s / vectorised_s}


def bench_codebooks(repeats: int) -> dict:
    """k-means (Lloyd-Max, 16 levels) and quantile levels fitted to 1e7 values, and 1e7
    values quantized onto 16 levels."""
    from quantlib.codebooks import codebook, quantize_to_codebook

    x = ql.generate("normal", (CODEBOOK_SIZE,), seed=0)
    levels = codebook("nf4")
    kmeans_s, quantile_s, quantize_s = best_of([
        lambda: codebook("kmeans", bits=4, x=x), lambda: codebook("quantile", bits=4, x=x),
        lambda: quantize_to_codebook(x, levels, scale=float(np.abs(x).max()))], repeats)
    return {"elements": CODEBOOK_SIZE, "kmeans_s": kmeans_s, "quantile_s": quantile_s,
            "quantize_s": quantize_s}


def bench_matmul(repeats: int) -> dict:
    """The exact int8 matmul (1024^3) against float32 BLAS on the same shapes, and
    LLM.int8() at 512x4096 by 4096x4096 against the float32 x @ w.T, taken in turns."""
    rng = np.random.default_rng(0)
    n = MATMUL_SIZE
    qa = rng.integers(-127, 128, (n, n), dtype=np.int8)
    qb = rng.integers(-127, 128, (n, n), dtype=np.int8)
    fa, fb = qa.astype(np.float32), qb.astype(np.float32)
    exact = bool(np.array_equal(ql.int_matmul(qa, qb), qa.astype(np.int64) @ qb.astype(np.int64)))
    float_s, int_s = best_of([lambda: fa @ fb, lambda: ql.int_matmul(qa, qb)], repeats)
    # For contrast: numpy's own integer matmul (no BLAS) at 512^3, against float32 there.
    half = n // 2
    ia, ib = qa[:half, :half].astype(np.int32), qb[:half, :half].astype(np.int32)
    naive_float_s, naive_s = best_of([lambda: fa[:half, :half] @ fb[:half, :half],
                                      lambda: ia @ ib], 3)
    tokens, features, out = LLM_INT8_SHAPE
    x = ql.inject_outliers(ql.generate("normal", (tokens, features), seed=1), count=0,
                           magnitude=20.0, channels=8).x
    w = ql.generate("normal", (out, features), seed=2)
    llm_float_s, llm_s = best_of([lambda: x @ w.T, lambda: ql.llm_int8_matmul(x, w)],
                                 max(3, repeats // 3))
    return {"size": n, "exact": exact, "float32_s": float_s, "int_matmul_s": int_s,
            "int_matmul_over_float32": int_s / float_s, "naive_size": half,
            "naive_int32_s": naive_s, "naive_int32_over_float32": naive_s / naive_float_s,
            "llm_int8_shape": LLM_INT8_SHAPE,
            "llm_int8_float32_s": llm_float_s, "llm_int8_s": llm_s,
            "llm_int8_over_float32": llm_s / llm_float_s}


def _payloads(at) -> list[int]:
    return [len(el.proto.spec) for el in at.get("plotly_chart")]


# Each page's rerun moves one of its own controls to a value not seen before (no cache
# hits): the page's bits, which change every number it shows.
MOVED = {"uniform": "u_bits", "home": "h_bits", "calibration": "c_bits", "formats": "f_demo",
         "nonuniform": "n_bits", "granularity": "g_bits", "matmul": "m_x_kind"}


def _unseen_values(page) -> list:
    """Values of the page's moved control other than its default, from its Control table."""
    control = page.table[MOVED[page.key]]
    if control.options:
        return [o for o in control.options if o != control.default]
    low, high, step = control.bounds.low, control.bounds.high, control.step or 1
    values = [low + i * step for i in range(int((high - low) / step) + 1)]
    return [control.bounds.kind(v) for v in values if v != control.default]


def bench_page(page, shape: tuple[int, int], reruns: int, query: dict | None = None) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"ws_rows": str(shape[0]), "ws_cols": str(shape[1]),
                            **(query or {})})
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
    parser.add_argument("--pages", help="only these pages (comma-separated keys), no numerics")
    parser.add_argument("--store", action="store_true",
                        help="only the quiz store's answer submissions (50 writers)")
    args = parser.parse_args()
    if args.pages:
        return print_pages(args.pages.split(","), args.reruns)
    if args.store:
        return print_store(bench_store())
    quant = bench_quantize(args.repeats)
    calib = bench_calibration(args.repeats)
    books = bench_codebooks(args.repeats)
    mm = bench_matmul(args.repeats)
    # The pages that read the workspace tensor, at each size (the Quiz reads none).
    pages = bench_pages([page for page in views.PAGES if page.path and page.workspace],
                        args.reruns)
    store = bench_store()
    figures = {
        "quant_dequant_over_copy": quant["quant_dequant_over_copy"],
        "page_rerun_s_1M": max(p["rerun_s_median"] for k, p in pages.items() if "1M" in k),
        "page_rerun_s_16M": max(p["rerun_s_median"] for k, p in pages.items()
                                if "16M" in k),
        "chart_payload_kb": max(p["largest_chart_kb"] for p in pages.values()),
        "entropy_s_1e7": calib["entropy_s"], "mse_s_1e7": calib["mse_s"],
        "entropy_speedup_over_loop": calib["entropy_speedup_over_loop"],
        "kmeans_s_1e7": books["kmeans_s"], "quantile_s_1e7": books["quantile_s"],
        "codebook_quantize_s_1e7": books["quantize_s"],
        "int_matmul_over_float32": mm["int_matmul_over_float32"],
        "granularity_rerun_s_llm_layer": pages["granularity_llm_layer"]["rerun_s_median"],
        "matmul_rerun_s_large": pages["matmul_large"]["rerun_s_median"],
    }
    results = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "processor": platform.machine()},
        "quantize": quant, "calibration": calib, "codebooks": books, "matmul": mm,
        "pages": pages, "quiz_store": store,
        "budgets": {k: {"measured": figures[k], "budget": budget, "kind": kind,
                        "within": figures[k] <= budget if kind == "max" else figures[k] >= budget}
                    for k, (budget, kind) in BUDGETS.items()},
    }
    # Keep what other benches wrote (bench.load writes the "load" key).
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.pop("uniform_page", None)  # the old layout of the page figures
    RESULTS.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    print(f"{'figure':<28}{'measured':>12}{'budget':>12}  ok")
    for key, row in results["budgets"].items():
        bound = ("<= " if row["kind"] == "max" else ">= ") + f"{row['budget']:.2f}"
        print(f"{key:<28}{row['measured']:>12.3f}{bound:>12}  "
              f"{'yes' if row['within'] else 'NO'}")
    print(f"quantize+dequantize {quant['quant_dequant_s'] * 1000:.1f} ms vs copy "
          f"{quant['copy_s'] * 1000:.1f} ms on {QUANT_SIZE:,} float32")
    print(f"entropy {calib['entropy_s']:.3f} s, mse {calib['mse_s']:.3f} s (symmetric "
          f"{calib['mse_symmetric_s']:.3f} s) on {CALIBRATION_SIZE:,} values; KL search over "
          f"{calib['kl_candidates']} candidates: {calib['kl_search_vectorised_s'] * 1000:.1f} ms"
          f" vectorised, {calib['kl_search_loop_s']:.2f} s as a per-candidate loop (same "
          f"divergences: {calib['kl_loop_equals_vectorised']})")
    print(f"k-means {books['kmeans_s']:.3f} s, quantile {books['quantile_s']:.3f} s, "
          f"quantize onto 16 levels {books['quantize_s']:.3f} s on {CODEBOOK_SIZE:,} values")
    print(f"int_matmul {mm['size']}^3 int8 {mm['int_matmul_s'] * 1000:.1f} ms vs float32 "
          f"{mm['float32_s'] * 1000:.1f} ms (exact: {mm['exact']}); numpy's int32 matmul at "
          f"{mm['naive_size']}^3 {mm['naive_int32_over_float32']:.0f}x float32; LLM.int8() "
          f"{'x'.join(map(str, mm['llm_int8_shape']))} {mm['llm_int8_s']:.3f} s vs float32 "
          f"{mm['llm_int8_float32_s']:.3f} s: {mm['llm_int8_over_float32']:.2f}x")
    for name, p in pages.items():
        print(page_line(name, p))
    print_store(store)
    print(f"written to {RESULTS.relative_to(ROOT)}")


def bench_pages(pages, reruns: int) -> dict:
    """Each page's reruns at every PAGE_SIZES workspace, then at its PAGE_EXTRA runs."""
    runs = [(page, size, shape, None) for page in pages for size, shape in PAGE_SIZES.items()]
    runs += [(page, size, shape, query) for page in pages
             for size, (shape, query) in PAGE_EXTRA.get(page.key, {}).items()]
    return {f"{page.key}_{size}": bench_page(page, shape, reruns, query)
            for page, size, shape, query in runs}


def page_line(name: str, p: dict) -> str:
    return (f"{name}: first run {p['first_run_s']:.2f} s, rerun median "
            f"{p['rerun_s_median']:.3f} s (max {p['rerun_s_max']:.3f} s), "
            f"largest chart {p['largest_chart_kb']:.1f} KB")


def print_pages(keys: list[str], reruns: int) -> None:
    """Page reruns only, printed and not written (while working on a page)."""
    for name, p in bench_pages([p for p in views.PAGES if p.key in keys], reruns).items():
        print(page_line(name, p))


def print_store(r: dict) -> None:
    print(f"quiz store: {r['writers']} students submit at the same moment, "
          f"{r['questions']} questions: submit p50 {r['submit_p50_ms']:.1f} ms, p95 "
          f"{r['submit_p95_ms']:.1f} ms, max {r['submit_max_ms']:.1f} ms; "
          f"{r['answers_per_s']:.0f} answers/s; {r['rows']} rows for {r['answers']} answers "
          f"(each stored once: {r['each_once']})")


if __name__ == "__main__":
    main()

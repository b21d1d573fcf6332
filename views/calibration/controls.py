"""The Calibration page's Control table, its seed-example presets, and the settings it gives."""

from __future__ import annotations

import streamlit as st

from lessons import calibration
from quantlib._validate import BITS, Interval
from quantlib.calibration import METHODS
from quantlib.presets import CALIBRATION_EXAMPLES
from ui import urlstate, workspace
from ui.urlstate import Control, ControlTable

DEFAULT = calibration.Settings()
BATCH_DEFAULT = calibration.BatchSettings()
NO_PRESET = "none"
OUTLIER_PRESET = "laplace_outliers"
MODES = ("scale", "affine")
#: The page teaches 2 to 8 bits; quantlib itself goes to 16.
PAGE_BITS = BITS.within(high=8)
#: Percentiles worth comparing, from seed 002's 70th to the 99.999th.
PERCENTILES = (70.0, 80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 99.999, 100.0)
#: Histogram resolutions for entropy and MSE (TensorRT uses 2048).
BIN_CHOICES = (256, 512, 1024, 2048, 4096, 8192)
#: From fast-moving to PyTorch's default (0.01), which barely moves in a few batches.
AVERAGING = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0)
STEP = Interval(int, 1, calibration.BATCHES.high)
#: The method toggles, in the order of ``quantlib.calibration.METHODS``.
METHOD_KEYS = {method: f"c_use_{method}" for method in METHODS}
# A generated tensor where the methods disagree at once: heavy tails plus outliers, at 4
# bits, where clipping them pays (at 8 bits MSE keeps them).
_OUTLIERS = {"ws_source": "generate", "ws_kind": "laplace", "ws_outliers": 8,
             "ws_outlier_scale": 25.0, "c_bits": 4, "c_pct": 99.9}


def _example_values(name: str) -> dict:
    example = CALIBRATION_EXAMPLES[name]
    return {**workspace.preset_values(example.tensor_name),
            "c_mode": "scale" if example.symmetric else "affine", "c_bits": example.bits,
            "c_pct": example.percentile}


TABLE = ControlTable("calibration", (
    Control("c_preset", NO_PRESET, "select", "c.preset", help="c.preset_help",
            options=(NO_PRESET, OUTLIER_PRESET, *CALIBRATION_EXAMPLES),
            option_label="c.preset"),
    *(Control(key, True, "checkbox", f"c.method.{method}", help=f"c.method_help.{method}")
      for method, key in METHOD_KEYS.items()),
    Control("c_bits", DEFAULT.bits, "slider", "c.bits", help="c.bits_help", bounds=PAGE_BITS),
    Control("c_mode", "scale" if DEFAULT.symmetric else "affine", "segmented", "c.mode",
            help="c.mode_help", options=MODES, option_label="c.mode"),
    Control("c_pct", DEFAULT.percentile, "select_slider", "c.pct", help="c.pct_help",
            options=PERCENTILES),
    Control("c_bins", DEFAULT.bins, "select_slider", "c.bins", help="c.bins_help",
            options=BIN_CHOICES),
    Control("c_log", True, "toggle", "c.log", help="c.log_help"),
    Control("c_batches", BATCH_DEFAULT.batches, "slider", "c.batches", help="c.batches_help",
            bounds=calibration.BATCHES),
    Control("c_avg", BATCH_DEFAULT.averaging_constant, "select_slider", "c.avg",
            help="c.avg_help", options=AVERAGING),
    Control("c_step", BATCH_DEFAULT.batches, "slider", "c.step", help="c.step_help",
            bounds=STEP),
    Control("c_maths", False, "expander", "maths.title"),
), presets={**{name: _example_values(name) for name in CALIBRATION_EXAMPLES},
            OUTLIER_PRESET: _OUTLIERS}, preset_key="c_preset")


def preset_selector() -> str:
    """The worked-example selector; choosing one loads its tensor and settings."""
    return urlstate.draw(TABLE["c_preset"], on_change=lambda: urlstate.apply_preset(TABLE))


def reset() -> None:
    """Every Calibration control back to its default (the workspace keeps its tensor)."""
    urlstate.set_values(TABLE)


def draw() -> tuple[tuple[str, ...], calibration.Settings]:
    """Draw the method and quantizer controls; the chosen methods and the settings."""
    c = TABLE
    columns = st.columns(len(METHODS))
    chosen = tuple(m for m, column in zip(METHODS, columns, strict=True)
                   if urlstate.draw(c[METHOD_KEYS[m]], where=column))
    c1, c2, c3, c4 = st.columns(4)
    bits = urlstate.draw(c["c_bits"], where=c1)
    symmetric = urlstate.draw(c["c_mode"], where=c2) == "scale"
    percentile = urlstate.draw(c["c_pct"], where=c3, disabled="percentile" not in chosen)
    bins = urlstate.draw(c["c_bins"], where=c4,
                         disabled=not {"entropy", "mse"} & set(chosen))
    urlstate.publish(TABLE)
    return chosen, calibration.Settings(bits=bits, symmetric=symmetric, percentile=percentile,
                                        bins=bins)


def log_toggle() -> bool:
    """The histogram's log-count toggle (drawn inside the histogram's fragment)."""
    return urlstate.draw_one(TABLE, "c_log")


def draw_batches(settings: calibration.Settings, size: int) -> tuple[calibration.BatchSettings,
                                                                      int]:
    """The batch controls (in the current container): the observers' settings and how
    many batches have been fed so far."""
    c1, c2, c3 = st.columns(3)
    most = calibration.most_batches(size)
    # A slider needs two different ends: with two values or fewer there is no choice.
    n = most if most == calibration.BATCHES.low else urlstate.draw(
        TABLE["c_batches"], where=c1, bounds=calibration.BATCHES.within(high=most))
    avg = urlstate.draw(TABLE["c_avg"], where=c2)
    count = calibration.batch_count(n, size)
    step = count if count < STEP.low + 1 else urlstate.draw(
        TABLE["c_step"], where=c3, bounds=STEP.within(high=count))
    urlstate.publish(TABLE)
    return calibration.BatchSettings(batches=n, averaging_constant=avg,
                                     symmetric=settings.symmetric,
                                     percentile=settings.percentile), step


def next_batch(count: int) -> None:
    """Callback of "next batch": one more batch fed (back to the first after the last)."""
    step = urlstate.value(TABLE["c_step"])
    urlstate.set_value(TABLE["c_step"], 1 if step >= count else step + 1)


def all_batches(count: int) -> None:
    urlstate.set_value(TABLE["c_step"], count)

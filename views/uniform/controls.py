"""The Uniform page's Control table, its seed-example presets, and the settings it gives."""

from __future__ import annotations

import streamlit as st

import quantlib as ql
from lessons import uniform
from quantlib._validate import BITS, PERCENTILE, SEED, Interval
from quantlib.qtypes import GRANULARITIES, Layout
from quantlib.tensors import FLOAT32_MAX, MAX_ELEMENTS, MAX_LOAD_NDIM
from ui import urlstate, workspace
from ui.i18n import t
from ui.urlstate import Control, ControlTable

DEFAULT = uniform.Settings()
MODES = ("affine", "scale")
SIGNS = ("signed", "unsigned")
GROUP_SIZES = tuple(2**k for k in range(1, 9))
NO_PRESET = "none"
LAST_AXIS = -1
#: The page teaches 2 to 8 bits; quantlib itself goes to 16.
PAGE_BITS = BITS.within(high=8)
#: The slider covers the interesting percentiles; quantlib accepts 50 to 100.
PAGE_PERCENTILE = PERCENTILE.within(low=90.0)
#: A typed range must be finite in float32, the precision the lab works in.
RANGE_BOUND = Interval(float, -FLOAT32_MAX, FLOAT32_MAX)
# Any axis a tensor the lab reads can have (uploads may have MAX_LOAD_NDIM dimensions).
AXIS = Interval(int, LAST_AXIS, MAX_LOAD_NDIM - 1)
TABLE_ROWS = Interval(int, 1, uniform.TABLE_ROWS)
DEFAULT_TABLE_ROWS = 8


def _example_values(example: ql.presets.SeedExample) -> dict:
    """The control values that reproduce a seed example (min-max calibration)."""
    return {
        **workspace.preset_values(example.tensor_name),
        "u_mode": "scale" if example.symmetric else "affine",
        "u_sign": "signed" if example.signed else "unsigned",
        "u_bits": example.bits, "u_narrow": example.narrow_range,
        "u_zero": example.include_zero, "u_round": example.rounding,
        "u_gran": example.layout.granularity,
        "u_ch_axis": example.layout.axis or 0, "u_range": "minmax",
    }


def _axis_label(axis: int) -> str:
    return t("u.axis.last") if axis == LAST_AXIS else str(axis)


TABLE = ControlTable("uniform", (
    Control("u_preset", NO_PRESET, "select", "u.preset", help="u.preset_help",
            options=(NO_PRESET, *ql.SEED_EXAMPLES), option_label="preset.example"),
    Control("u_mode", "scale" if DEFAULT.symmetric else "affine", "segmented", "u.mode",
            help="u.mode_help", options=MODES, option_label="u.mode"),
    Control("u_sign", "signed" if DEFAULT.signed else "unsigned", "segmented", "u.sign",
            help="u.sign_help", options=SIGNS, option_label="u.sign"),
    Control("u_bits", DEFAULT.bits, "slider", "u.bits", help="u.bits_help", bounds=PAGE_BITS),
    Control("u_narrow", DEFAULT.narrow_range, "checkbox", "u.narrow", help="u.narrow_help"),
    Control("u_zero", DEFAULT.include_zero, "checkbox", "u.zero", help="u.zero_help"),
    Control("u_round", DEFAULT.rounding, "select", "u.round", help="u.round_help",
            options=ql.ROUNDING_MODES, option_label="u.round"),
    Control("u_rseed", DEFAULT.seed, "number", "u.rseed", bounds=SEED),
    Control("u_range", DEFAULT.method, "segmented", "u.range", help="u.range_help",
            options=uniform.RANGE_METHODS, option_label="u.range"),
    Control("u_pct", DEFAULT.percentile, "slider", "u.pct", help="u.pct_help",
            bounds=PAGE_PERCENTILE, step=0.01, fmt="%.2f"),
    Control("u_lo", -1.0, "number", "u.lo", bounds=RANGE_BOUND, fmt="%g"),
    Control("u_hi", 1.0, "number", "u.hi", bounds=RANGE_BOUND, fmt="%g"),
    Control("u_gran", DEFAULT.layout.granularity, "segmented", "u.gran", help="u.gran_help",
            options=GRANULARITIES, option_label="u.gran"),
    # Channels default to axis 0 (the output channels of a weight); groups to the last
    # axis (consecutive input features, as GPTQ and AWQ group them).
    Control("u_ch_axis", 0, "select", "u.axis.channel", help="u.axis_help.channel",
            bounds=AXIS, option_label=_axis_label),
    Control("u_grp_axis", LAST_AXIS, "select", "u.axis.group", help="u.axis_help.group",
            bounds=AXIS, option_label=_axis_label),
    Control("u_group", 64, "select_slider", "u.group", help="u.group_help",
            options=GROUP_SIZES),
    Control("u_focus", DEFAULT.focus, "number", "u.focus", help="u.focus_help",
            bounds=Interval(int, 0, MAX_ELEMENTS - 1)),
    Control("u_rows", DEFAULT_TABLE_ROWS, "slider", "u.table.rows", bounds=TABLE_ROWS),
    Control("u_log", False, "toggle", "u.log", help="u.log_help"),
    Control("u_maths", False, "expander", "maths.title"),
), presets={name: _example_values(ex) for name, ex in ql.SEED_EXAMPLES.items()},
    preset_key="u_preset")

def preset_selector() -> str:
    """The worked-example selector; choosing one loads its tensor and settings."""
    return urlstate.draw(TABLE["u_preset"], on_change=lambda: urlstate.apply_preset(TABLE))


def reset() -> None:
    """Every Uniform control back to its default (the workspace keeps its tensor)."""
    urlstate.set_values(TABLE)


def log_toggle() -> bool:
    """The histogram's log-count toggle (drawn inside the histogram's fragment)."""
    return urlstate.draw_one(TABLE, "u_log")


def table_rows() -> int:
    """How many rows of the step-by-step table to show (inside the table's fragment)."""
    return urlstate.draw_one(TABLE, "u_rows")


def _layout(shape: tuple[int, ...], granularity: str) -> tuple[Layout, int]:
    """Draw the axis, group-size and focus controls; the layout and the focused pair."""
    if granularity == "tensor":
        return Layout.tensor(), DEFAULT.focus
    a1, a2, a3 = st.columns(3)
    ndim = len(shape)
    if granularity == "channel":
        layout = Layout.channel(urlstate.draw(TABLE["u_ch_axis"], where=a1,
                                              options=tuple(range(ndim))))
    else:
        axis = urlstate.draw(TABLE["u_grp_axis"], where=a1, options=(LAST_AXIS, *range(ndim - 1)))
        layout = Layout.group(urlstate.draw(TABLE["u_group"], where=a2), axis)
    choices = uniform.focus_choices(layout, shape)
    focus = urlstate.draw(TABLE["u_focus"], where=a3, bounds=choices,
                          count=f"{layout.num_params(shape):,}")
    return layout, focus


def draw(shape: tuple[int, ...]) -> uniform.Settings:
    """Draw the uniform-quantization controls (in the current container) and read them."""
    c = TABLE
    c1, c2, c3 = st.columns(3)
    with c1:
        symmetric = urlstate.draw(c["u_mode"]) == "scale"
        signed = urlstate.draw(c["u_sign"]) == "signed"
        bits = urlstate.draw(c["u_bits"])
    with c2:
        narrow = urlstate.draw(c["u_narrow"], disabled=symmetric and not signed)
        include_zero = urlstate.draw(c["u_zero"], disabled=symmetric)
        rounding = urlstate.draw(c["u_round"])
        seed = urlstate.draw(c["u_rseed"]) if rounding == "stochastic" else DEFAULT.seed
    with c3:
        method = urlstate.draw(c["u_range"])
        percentile, manual = DEFAULT.percentile, None
        if method == "percentile":
            percentile = urlstate.draw(c["u_pct"])
        elif method == "manual":
            lo_col, hi_col = st.columns(2)
            manual = (urlstate.draw(c["u_lo"], where=lo_col),
                      urlstate.draw(c["u_hi"], where=hi_col))
            if manual[0] > manual[1]:
                st.warning(t("u.manual_swapped", lo=f"{manual[0]:g}", hi=f"{manual[1]:g}"),
                           icon=":material/swap_horiz:")
                manual = manual[::-1]
        granularity = urlstate.draw(c["u_gran"], disabled=method == "manual")
    # A typed range is one range for the whole tensor.
    layout, focus = _layout(shape, "tensor" if method == "manual" else granularity)
    urlstate.publish(TABLE)
    return uniform.Settings(
        symmetric=symmetric, signed=signed, bits=bits,
        narrow_range=narrow and not (symmetric and not signed), include_zero=include_zero,
        rounding=rounding, seed=seed, layout=layout, method=method, percentile=percentile,
        manual_range=manual, focus=focus)

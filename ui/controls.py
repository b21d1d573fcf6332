"""Controls that return plain values: the uniform-quantization settings picker.

Every control has a stable key and is bound to the URL's query parameters, so that a
link reproduces what the instructor shows (a "lesson link").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import streamlit as st

import quantlib as ql

from .i18n import t
from .urlstate import choice

QP = "query-params"
MODES = ("affine", "scale")
SIGNS = ("signed", "unsigned")
RANGES = ("minmax", "percentile", "manual")
GROUP_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
UNIFORM_DEFAULTS = {
    "u_mode": "affine", "u_sign": "signed", "u_bits": 4, "u_narrow": False, "u_zero": True,
    "u_round": "half_even", "u_rseed": 0, "u_gran": "tensor", "u_ch_axis": 0,
    "u_grp_axis": None, "u_group": 64, "u_range": "minmax", "u_pct": 99.9, "u_lo": -1.0,
    "u_hi": 1.0, "u_focus": 0, "u_rows": 8, "u_log": False,
}
MAX_TABLE_ROWS = 32
PRESET_KEY = "u_preset"
NO_PRESET = "none"
_PRESET_LINK_DONE = "_preset_link_done"
BITS_RANGE = (2, 8)


@dataclass(frozen=True)
class UniformSettings:
    """Everything the Uniform page's controls decide, hashable for caching."""

    symmetric: bool
    signed: bool
    bits: int
    narrow_range: bool
    include_zero: bool
    rounding: str
    seed: int
    granularity: str
    axis: int
    group_size: int
    method: str
    percentile: float
    manual_range: tuple[float, float] | None
    focus: int

    def report_kwargs(self) -> dict:
        """Keyword arguments for ``quantlib.uniform_report``."""
        kwargs = asdict(self)
        kwargs["manual_range"] = self.manual_range
        kwargs["table_rows"] = MAX_TABLE_ROWS
        if self.method == "manual":
            kwargs["method"] = "minmax"
        if kwargs["method"] != "percentile":
            kwargs.pop("percentile")
        return kwargs


def apply_uniform_settings(values: dict | None = None) -> None:
    """Reset the Uniform controls, then set ``values`` (from a preset or reset callback)."""
    for key in UNIFORM_DEFAULTS:
        st.session_state.pop(key, None)
    for key, value in (values or {}).items():
        st.session_state[key] = value


def _clamp_state(key: str, allowed) -> None:
    """Drop a remembered value the current tensor no longer allows (e.g. axis 1 of a 1-D)."""
    if key in st.session_state and st.session_state[key] not in allowed:
        del st.session_state[key]


def uniform_controls(shape: tuple[int, ...]) -> UniformSettings:
    """Draw the uniform-quantization controls (in the current container) and read them."""
    d = UNIFORM_DEFAULTS
    c1, c2, c3 = st.columns(3)
    with c1:
        mode = choice(st.segmented_control, t("u.mode"), MODES, key="u_mode",
                      default=d["u_mode"], format_func=lambda m: t(f"u.mode.{m}"),
                      help=t("u.mode_help"))
        sign = choice(st.segmented_control, t("u.sign"), SIGNS, key="u_sign",
                      default=d["u_sign"], format_func=lambda s: t(f"u.sign.{s}"),
                      help=t("u.sign_help"))
        bits = st.slider(t("u.bits"), *BITS_RANGE, d["u_bits"], key="u_bits", bind=QP,
                         help=t("u.bits_help"))
    symmetric, signed = mode == "scale", sign == "signed"
    with c2:
        narrow = st.checkbox(t("u.narrow"), d["u_narrow"], key="u_narrow", bind=QP,
                             help=t("u.narrow_help"), disabled=symmetric and not signed)
        include_zero = st.checkbox(t("u.zero"), d["u_zero"], key="u_zero", bind=QP,
                                   help=t("u.zero_help"), disabled=symmetric)
        rounding = choice(st.selectbox, t("u.round"), ql.ROUNDING_MODES, key="u_round",
                          default=d["u_round"], format_func=lambda r: t(f"u.round.{r}"),
                          help=t("u.round_help"))
        seed = 0
        if rounding == "stochastic":
            seed = st.number_input(t("u.rseed"), 0, 2**31 - 1, d["u_rseed"], 1, key="u_rseed",
                                   bind=QP)
    with c3:
        method = choice(st.segmented_control, t("u.range"), RANGES, key="u_range",
                        default=d["u_range"], format_func=lambda r: t(f"u.range.{r}"),
                        help=t("u.range_help"))
        percentile, manual = d["u_pct"], None
        if method == "percentile":
            percentile = st.slider(t("u.pct"), 90.0, 100.0, d["u_pct"], 0.01, key="u_pct",
                                   bind=QP, format="%.2f", help=t("u.pct_help"))
        elif method == "manual":
            lo_col, hi_col = st.columns(2)
            lo = lo_col.number_input(t("u.lo"), value=d["u_lo"], key="u_lo", bind=QP, format="%g")
            hi = hi_col.number_input(t("u.hi"), value=d["u_hi"], key="u_hi", bind=QP, format="%g")
            manual = (float(lo), float(hi))
            if manual[0] > manual[1]:
                st.warning(t("u.manual_swapped", lo=f"{lo:g}", hi=f"{hi:g}"),
                           icon=":material/swap_horiz:")
                manual = manual[::-1]
        granularity = choice(st.segmented_control, t("u.gran"), ql.GRANULARITIES, key="u_gran",
                             default=d["u_gran"], format_func=lambda g: t(f"u.gran.{g}"),
                             help=t("u.gran_help"), disabled=method == "manual")
    if method == "manual":
        granularity = "tensor"
    axis, group_size, focus = 0, d["u_group"], 0
    if granularity != "tensor":
        a1, a2, a3 = st.columns(3)
        axis_key = "u_ch_axis" if granularity == "channel" else "u_grp_axis"
        options = list(range(len(shape)))
        _clamp_state(axis_key, options)
        # Channels default to axis 0 (output channels of a weight), groups to the last
        # axis (consecutive input features, as GPTQ/AWQ group them).
        default_axis = 0 if granularity == "channel" else len(shape) - 1
        axis = a1.selectbox(t(f"u.axis.{granularity}"), options, index=default_axis,
                            key=axis_key, bind=QP, help=t(f"u.axis_help.{granularity}"))
        if granularity == "group":
            group_size = a2.select_slider(t("u.group"), GROUP_SIZES, d["u_group"], key="u_group",
                                          bind=QP, help=t("u.group_help"))
        pairs = math.prod(ql.param_shape(shape, granularity, axis, group_size))
        _clamp_state("u_focus", range(pairs))
        focus = a3.number_input(t("u.focus", count=pairs), 0, pairs - 1, d["u_focus"], 1,
                                key="u_focus", bind=QP, help=t("u.focus_help"))
    return UniformSettings(
        symmetric=symmetric, signed=signed, bits=int(bits),
        narrow_range=bool(narrow) and not (symmetric and not signed),
        include_zero=bool(include_zero), rounding=rounding, seed=int(seed),
        granularity=granularity, axis=int(axis), group_size=int(group_size), method=method,
        percentile=float(percentile), manual_range=manual, focus=int(focus),
    )


def preset_state(name: str) -> dict:
    """Widget state for a seed example: its tensor in the workspace and its settings."""
    example = ql.SEED_EXAMPLES[name]
    return {"ws_source": "preset", "ws_preset": example.tensor_name, PRESET_KEY: name,
            **example_settings(example)}


def apply_preset(name: str) -> None:
    """Load a seed example (from the preset selectbox's callback)."""
    apply_uniform_settings(preset_state(name))


def apply_preset_link() -> None:
    """Apply ``?u_preset=...`` once per session, before any widget is drawn.

    A lesson link may also carry changes the instructor made after choosing the
    example (``&u_round=half_away``): values the URL gives explicitly win.
    """
    if st.session_state.get(_PRESET_LINK_DONE):
        return
    st.session_state[_PRESET_LINK_DONE] = True
    name = st.query_params.get(PRESET_KEY)
    if name in ql.SEED_EXAMPLES:
        for key, value in preset_state(name).items():
            if key not in st.query_params:
                st.session_state[key] = value


def example_settings(example: ql.SeedExample) -> dict:
    """The control values that reproduce a seed example (min-max calibration)."""
    return {
        "u_mode": "scale" if example.symmetric else "affine",
        "u_sign": "signed" if example.signed else "unsigned",
        "u_bits": example.bits, "u_narrow": example.narrow_range,
        "u_zero": example.include_zero, "u_round": example.rounding,
        "u_gran": example.granularity, "u_ch_axis": example.axis, "u_range": "minmax",
    }

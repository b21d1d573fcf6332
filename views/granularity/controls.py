"""The Granularity & outliers page's Control table, its presets, and the settings it gives."""

from __future__ import annotations

import dataclasses

import streamlit as st

from lessons import granularity
from ui import urlstate, workspace
from ui.urlstate import Control, ControlTable

DEFAULT = granularity.Settings()
NO_PRESET = "none"
THRESHOLD_STEP = 0.5
ALPHA_STEP = 0.05

# The workspace controls a generated preset resets to their defaults, so that its story
# does not depend on the tensor shown before.
_TENSOR_KEYS = ("ws_rows", "ws_cols", "ws_seed", "ws_scale", "ws_outliers")


def _generated(**more) -> dict:
    tensor = workspace.table()
    return {"ws_source": "generate", "ws_kind": "normal",
            **{key: tensor[key].default for key in _TENSOR_KEYS}, **more}


# Each preset tells one story: LLM-like outlier channels (the defaults), rare isolated
# outliers at 4 bits (where clipping pays), seed 003's two groups, seed 002's -99.
PRESETS = {
    "channels": _generated(g_outliers="channels", g_count=4, g_magnitude=20.0, g_bits=8,
                           g_gran="column", g_clip="mse"),
    "isolated": _generated(g_outliers="isolated", g_count=8, g_magnitude=20.0, g_bits=4,
                           g_gran="group", g_group=16, g_clip="percentile", g_pct=99.9),
    "groups": {**workspace.preset_values("seed003_groups"), "g_outliers": "none",
               "g_bits": 4, "g_gran": "row"},
    "seed002": {**workspace.preset_values("seed002_outlier"), "g_outliers": "none",
                "g_bits": 8, "g_gran": "group", "g_group": 4, "g_threshold": 6.0},
}

TABLE = ControlTable("granularity", (
    Control("g_preset", NO_PRESET, "select", "g.preset", help="g.preset_help",
            options=(NO_PRESET, *PRESETS), option_label="g.preset"),
    Control("g_outliers", DEFAULT.outliers, "segmented", "g.outliers", help="g.outliers_help",
            options=granularity.OUTLIER_KINDS, option_label="g.outliers"),
    Control("g_count", DEFAULT.count, "slider", "g.count", help="g.count_help",
            bounds=granularity.COUNT),
    Control("g_magnitude", DEFAULT.magnitude, "slider", "g.magnitude",
            help="g.magnitude_help", bounds=granularity.MAGNITUDE, step=1.0, fmt="%.0f"),
    Control("g_bits", DEFAULT.bits, "slider", "g.bits", help="g.bits_help",
            bounds=granularity.BITS),
    Control("g_gran", DEFAULT.granularity, "segmented", "g.gran", help="g.gran_help",
            options=granularity.GRANULARITIES, option_label="g.gran"),
    Control("g_group", DEFAULT.group_size, "select_slider", "g.group", help="g.group_help",
            options=granularity.GROUP_SIZES),
    Control("g_out", DEFAULT.out_features, "select_slider", "g.out", help="g.out_help",
            options=granularity.OUT_FEATURES),
    Control("g_clip", DEFAULT.clip, "segmented", "g.clip", help="g.clip_help",
            options=granularity.CLIPS, option_label="g.clip"),
    Control("g_pct", DEFAULT.percentile, "select_slider", "g.pct", help="g.pct_help",
            options=granularity.PERCENTILES),
    Control("g_threshold", DEFAULT.threshold, "slider", "g.threshold", help="g.threshold_help",
            bounds=granularity.THRESHOLD, step=THRESHOLD_STEP, fmt="%.1f"),
    Control("g_alpha", DEFAULT.alpha, "slider", "g.alpha", help="g.alpha_help",
            bounds=granularity.ALPHA, step=ALPHA_STEP),
    Control("g_maths", False, "expander", "maths.title"),
), presets=PRESETS, preset_key="g_preset")


def preset_selector() -> str:
    """The preset selector; choosing one loads its tensor and settings."""
    return urlstate.draw(TABLE["g_preset"], on_change=lambda: urlstate.apply_preset(TABLE))


def reset() -> None:
    """Every control of the page back to its default (the workspace keeps its tensor)."""
    urlstate.set_values(TABLE)


#: Each field of the lesson's Settings and the control that sets it.
FIELDS = {"outliers": "g_outliers", "count": "g_count", "magnitude": "g_magnitude",
          "bits": "g_bits", "granularity": "g_gran", "group_size": "g_group",
          "out_features": "g_out", "clip": "g_clip", "percentile": "g_pct",
          "threshold": "g_threshold", "alpha": "g_alpha"}


def current() -> granularity.Settings:
    """The settings every control holds now (drawn in this run or not)."""
    return granularity.Settings(**{name: urlstate.value(TABLE[key])
                                   for name, key in FIELDS.items()})


def draw_outliers() -> granularity.Settings:
    """The outlier controls and the bit width (they change every section); the settings
    of every control."""
    c1, c2, c3, c4 = st.columns([1.5, 1, 1, 1])
    kind = urlstate.draw(TABLE["g_outliers"], where=c1)
    urlstate.draw(TABLE["g_count"], where=c2, disabled=kind == "none")
    urlstate.draw(TABLE["g_magnitude"], where=c3, disabled=kind == "none")
    urlstate.draw(TABLE["g_bits"], where=c4)
    urlstate.publish(TABLE)
    return current()


def draw_granularity(settings: granularity.Settings) -> granularity.Settings:
    """The granularity controls (drawn in their own fragment); ``settings`` with them."""
    c1, c2 = st.columns([2, 1])
    gran = urlstate.draw(TABLE["g_gran"], where=c1)
    group = urlstate.draw(TABLE["g_group"], where=c2, disabled=gran != "group")
    urlstate.publish(TABLE)
    return dataclasses.replace(settings, granularity=gran, group_size=group)


def draw_fixes(settings: granularity.Settings) -> granularity.Settings:
    """The fixes' controls (drawn in their own fragment); ``settings`` with them."""
    c1, c2, c3 = st.columns(3)
    out = urlstate.draw(TABLE["g_out"], where=c1)
    clip = urlstate.draw(TABLE["g_clip"], where=c2)
    pct = urlstate.draw(TABLE["g_pct"], where=c3, disabled=clip != "percentile")
    c4, c5 = st.columns(2)
    threshold = urlstate.draw(TABLE["g_threshold"], where=c4)
    alpha = urlstate.draw(TABLE["g_alpha"], where=c5)
    urlstate.publish(TABLE)
    return dataclasses.replace(settings, out_features=out, clip=clip, percentile=pct,
                               threshold=threshold, alpha=alpha)

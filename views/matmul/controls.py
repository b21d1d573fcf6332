"""The Int8 matmul page's Control table, its presets, and the settings it gives."""

from __future__ import annotations

import streamlit as st

from lessons import matmul
from ui import urlstate
from ui.urlstate import Control, ControlTable

DEFAULT = matmul.Settings()
NO_PRESET = "none"

# Each preset tells one story: every integer of a 3 x 5 by 5 x 2 product with both zero
# points (the four terms), seed 002's slide (S = 1/127), LLM activations with outlier
# channels per token against per tensor, and the largest layer the page runs.
PRESETS = {
    "tiny": {"m_source": "generate", "m_tokens": 3, "m_features": 5, "m_out": 2,
             "m_x_kind": "relu", "m_x_mode": "asymmetric", "m_x_gran": "tensor",
             "m_w_mode": "asymmetric", "m_w_gran": "tensor"},
    "slides": {"m_source": "slides"},
    "llm": {"m_source": "generate", "m_tokens": 64, "m_features": 1024, "m_out": 256,
            "m_x_kind": "llm_activations", "m_x_mode": "symmetric", "m_x_gran": "token",
            "m_w_mode": "symmetric", "m_w_gran": "channel"},
    "large": {"m_source": "generate", "m_tokens": 1024, "m_features": 4096, "m_out": 4096,
              "m_x_kind": "normal", "m_x_mode": "symmetric", "m_x_gran": "tensor",
              "m_w_mode": "symmetric", "m_w_gran": "channel"},
}

TABLE = ControlTable("matmul", (
    Control("m_preset", NO_PRESET, "select", "m.preset", help="m.preset_help",
            options=(NO_PRESET, *PRESETS), option_label="m.preset"),
    Control("m_source", DEFAULT.source, "segmented", "m.source", help="m.source_help",
            options=matmul.SOURCES, option_label="m.source"),
    Control("m_tokens", DEFAULT.tokens, "select_slider", "m.tokens", help="m.tokens_help",
            options=matmul.TOKENS),
    Control("m_features", DEFAULT.features, "select_slider", "m.features",
            help="m.features_help", options=matmul.FEATURES),
    Control("m_out", DEFAULT.out_features, "select_slider", "m.out", help="m.out_help",
            options=matmul.OUTS),
    Control("m_x_kind", DEFAULT.x_kind, "select", "m.x_kind", help="m.x_kind_help",
            options=matmul.X_KINDS, option_label="m.x_kind"),
    Control("m_x_mode", DEFAULT.x_mode, "segmented", "m.x_mode", help="m.mode_help",
            options=matmul.MODES, option_label="m.mode"),
    Control("m_x_gran", DEFAULT.x_granularity, "segmented", "m.x_gran", help="m.x_gran_help",
            options=matmul.X_GRANULARITIES, option_label="m.gran"),
    Control("m_w_mode", DEFAULT.w_mode, "segmented", "m.w_mode", help="m.mode_help",
            options=matmul.MODES, option_label="m.mode"),
    Control("m_w_gran", DEFAULT.w_granularity, "segmented", "m.w_gran", help="m.w_gran_help",
            options=matmul.W_GRANULARITIES, option_label="m.gran"),
    Control("m_maths", False, "expander", "maths.title"),
), presets=PRESETS, preset_key="m_preset")


def preset_selector() -> str:
    """The preset selector; choosing one sets the operands and the quantizers."""
    return urlstate.draw(TABLE["m_preset"], on_change=lambda: urlstate.apply_preset(TABLE))


def reset() -> None:
    """Every control of the page back to its default (the workspace keeps its tensor)."""
    urlstate.set_values(TABLE)


def draw() -> matmul.Settings:
    """The operand and quantizer controls; the settings they give."""
    c1, c2 = st.columns([3, 2])
    source = urlstate.draw(TABLE["m_source"], where=c1)
    slides = source == "slides"
    tokens = urlstate.draw(TABLE["m_tokens"], where=c2, disabled=slides)
    c3, c4, c5 = st.columns([2, 1.5, 1.5])
    x_kind = urlstate.draw(TABLE["m_x_kind"], where=c3, disabled=slides)
    features = urlstate.draw(TABLE["m_features"], where=c4, disabled=source != "generate")
    out = urlstate.draw(TABLE["m_out"], where=c5, disabled=source != "generate")
    c6, c7, c8, c9 = st.columns(4)
    x_mode = urlstate.draw(TABLE["m_x_mode"], where=c6, disabled=slides)
    x_gran = urlstate.draw(TABLE["m_x_gran"], where=c7, disabled=slides)
    w_mode = urlstate.draw(TABLE["m_w_mode"], where=c8, disabled=slides)
    w_gran = urlstate.draw(TABLE["m_w_gran"], where=c9, disabled=slides)
    urlstate.publish(TABLE)
    return matmul.Settings(source=source, tokens=tokens, features=features, out_features=out,
                           x_kind=x_kind, x_mode=x_mode, x_granularity=x_gran,
                           w_mode=w_mode, w_granularity=w_gran)

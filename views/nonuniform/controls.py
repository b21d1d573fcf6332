"""The Non-uniform page's Control table, its tensor presets, and the settings it gives."""

from __future__ import annotations

import streamlit as st

from lessons import nonuniform
from ui import urlstate, workspace
from ui.urlstate import Control, ControlTable

DEFAULT = nonuniform.Settings()
NO_PRESET = "none"
#: The scheme toggles, in the order of ``lessons.nonuniform.SCHEMES``.
SCHEME_KEYS = {kind: f"n_use_{kind}" for kind in nonuniform.SCHEMES}
SCHEME_COLUMNS = 5


# The workspace controls a preset resets to their defaults with the distribution (and the
# distribution's own parameters), so the story it tells does not depend on the tensor
# shown before.
_TENSOR_KEYS = ("ws_rows", "ws_cols", "ws_seed", "ws_scale", "ws_outlier_scale")


def _preset(kind: str, schemes: tuple[str, ...], **more) -> dict:
    """A generated workspace tensor of ``kind`` and the schemes that tell its story."""
    tensor = workspace.table()
    return {"ws_source": "generate", "ws_kind": kind, "ws_outliers": 0,
            **{key: tensor[key].default for key in _TENSOR_KEYS},
            **{c.key: c.default for c in tensor.controls if c.key.startswith(f"ws_{kind}_")},
            **{key: k in schemes for k, key in SCHEME_KEYS.items()}, "n_bits": 4,
            "n_gran": "tensor", **more}


# Each preset compares the codebooks that make its point (k-means, fitted to the very
# tensor, beats every fixed codebook on MSE: it is in the presets where that is the point).
PRESETS = {
    "normal": _preset("normal", ("uniform", "log2", "nf4", "fp4_e2m1")),
    "lognormal": _preset("lognormal", ("uniform", "log2", "nf4", "fp4_e2m1")),
    "uniform": _preset("uniform", ("uniform", "log2", "nf4", "fp4_e2m1")),
    "bimodal": _preset("bimodal", ("uniform", "nf4", "kmeans", "quantile")),
    "outliers": _preset("laplace", ("uniform", "nf4", "fp4_e2m1"), ws_outliers=16,
                        ws_outlier_scale=25.0, n_gran="block", n_block=32),
}

TABLE = ControlTable("nonuniform", (
    Control("n_preset", NO_PRESET, "select", "n.preset", help="n.preset_help",
            options=(NO_PRESET, *PRESETS), option_label="n.preset"),
    *(Control(key, kind in DEFAULT.schemes, "checkbox", f"n.scheme.{kind}",
              help=f"n.scheme_help.{kind}") for kind, key in SCHEME_KEYS.items()),
    Control("n_bits", DEFAULT.bits, "slider", "n.bits", help="n.bits_help",
            bounds=nonuniform.BITS),
    Control("n_gran", DEFAULT.granularity, "segmented", "n.gran", help="n.gran_help",
            options=nonuniform.GRANULARITIES, option_label="n.gran"),
    Control("n_block", DEFAULT.block_size, "select_slider", "n.block", help="n.block_help",
            options=nonuniform.BLOCK_SIZES),
), presets=PRESETS, preset_key="n_preset")


def preset_selector() -> str:
    """The tensor-preset selector; choosing one loads its tensor and schemes."""
    return urlstate.draw(TABLE["n_preset"], on_change=lambda: urlstate.apply_preset(TABLE))


def reset() -> None:
    """Every Non-uniform control back to its default (the workspace keeps its tensor)."""
    urlstate.set_values(TABLE)


def draw() -> nonuniform.Settings:
    """Draw the scheme toggles and the quantizer controls; the settings they give."""
    chosen = []
    kinds = list(SCHEME_KEYS.items())
    for start in range(0, len(kinds), SCHEME_COLUMNS):
        for (kind, key), column in zip(kinds[start:start + SCHEME_COLUMNS],
                                       st.columns(SCHEME_COLUMNS), strict=False):
            if urlstate.draw(TABLE[key], where=column):
                chosen.append(kind)
    c1, c2, c3 = st.columns(3)
    bits = urlstate.draw(TABLE["n_bits"], where=c1)
    granularity = urlstate.draw(TABLE["n_gran"], where=c2)
    block = urlstate.draw(TABLE["n_block"], where=c3, disabled=granularity != "block")
    urlstate.publish(TABLE)
    return nonuniform.Settings(schemes=tuple(chosen), bits=bits, granularity=granularity,
                               block_size=block)

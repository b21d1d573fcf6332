"""The Number formats page's Control table and the settings it gives."""

from __future__ import annotations

from lessons import formats
from quantlib._validate import SEED, Interval
from quantlib.formats import OVERFLOW_MODES
from quantlib.tensors import FLOAT32_MAX
from ui import urlstate
from ui.urlstate import Control, ControlTable

#: Any value float32 holds can be typed in.
VALUE = Interval(float, -FLOAT32_MAX, FLOAT32_MAX)

TABLE = ControlTable("formats", (
    Control("f_value", 0.1, "number", "f.value", help="f.value_help", bounds=VALUE, fmt="%g"),
    Control("f_overflow", "saturate", "segmented", "f.overflow", help="f.overflow_help",
            options=OVERFLOW_MODES, option_label="f.overflow"),
    Control("f_demo", formats.DEMOS[0], "select", "f.demo", options=formats.DEMOS,
            option_label="f.demo"),
    Control("f_seed", 0, "number", "f.sr.seed", help="f.sr.seed_help", bounds=SEED),
    Control("f_grid", formats.GRID_FORMATS[0], "segmented", "f.grid.format",
            options=formats.GRID_FORMATS, option_label="f.name"),
))


def draw_grid() -> str:
    fmt = urlstate.draw(TABLE["f_grid"])
    urlstate.publish(TABLE)
    return fmt


def draw_seed() -> int:
    seed = urlstate.draw(TABLE["f_seed"])
    urlstate.publish(TABLE)
    return seed


def draw_value() -> tuple[float, str]:
    """The bit inspector's value and overflow mode."""
    value = urlstate.draw(TABLE["f_value"])
    overflow = urlstate.draw(TABLE["f_overflow"])
    urlstate.publish(TABLE)
    return value, overflow


def draw_demo() -> str:
    demo = urlstate.draw(TABLE["f_demo"])
    urlstate.publish(TABLE)
    return demo

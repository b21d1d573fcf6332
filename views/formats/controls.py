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
    Control("f_bits_fmt", "fp16", "select", "f.bits.format", options=formats.BY_WIDTH,
            option_label="f.name"),
    # The code whose bits are shown; the widest format (FP32) bounds it, the chosen
    # format narrows it when drawn.
    Control("f_code", formats.default_code("fp16"), "number", "f.bits.code",
            help="f.bits.code_help", bounds=formats.CODE),
    Control("f_grid", formats.GRID_FORMATS[0], "segmented", "f.grid.format",
            options=formats.GRID_FORMATS, option_label="f.name"),
))


def check_code() -> None:
    """A linked code too wide for the linked format moves to the nearest code, with a
    notice (before the page shows its link notices)."""
    fmt = urlstate.value(TABLE["f_bits_fmt"])
    code = urlstate.value(TABLE["f_code"])
    bounds = formats.code_bounds(fmt) if fmt in formats.SHOWN else None
    if bounds is not None and not bounds.contains(code):
        urlstate.override(TABLE["f_code"], bounds.nearest(code))


def _converted(old_fmt: str) -> None:
    """Format changed: show the same value's bits in the new format."""
    new_fmt = urlstate.value(TABLE["f_bits_fmt"])
    code = urlstate.value(TABLE["f_code"])
    urlstate.set_value(TABLE["f_code"], formats.same_value_code(code, old_fmt, new_fmt))


def draw_code() -> tuple[str, int]:
    """The bit editor's format and code (the code clamped to that format's width)."""
    old = urlstate.value(TABLE["f_bits_fmt"])
    fmt = urlstate.draw(TABLE["f_bits_fmt"], on_change=lambda: _converted(old))
    code = urlstate.draw(TABLE["f_code"], bounds=formats.code_bounds(fmt))
    urlstate.publish(TABLE)
    return fmt, code


def flip_bit(fmt: str, position: int) -> None:
    """Callback of a bit button: toggle bit ``position`` (0 = the leftmost) of the code."""
    code = urlstate.value(TABLE["f_code"])
    urlstate.set_value(TABLE["f_code"], formats.flipped(code, fmt, position))


def draw_grid() -> str:
    return urlstate.draw_one(TABLE, "f_grid")


def pick_code(fmt: str, code: int) -> None:
    """Callback of a click on the code grid: load that code into the bit editor."""
    urlstate.set_value(TABLE["f_bits_fmt"], fmt)
    urlstate.set_value(TABLE["f_code"], code)


def draw_seed() -> int:
    return urlstate.draw_one(TABLE, "f_seed")


def draw_value() -> tuple[float, str]:
    """The bit inspector's value and overflow mode."""
    value = urlstate.draw(TABLE["f_value"])
    overflow = urlstate.draw(TABLE["f_overflow"])
    urlstate.publish(TABLE)
    return value, overflow


def draw_demo() -> str:
    return urlstate.draw_one(TABLE, "f_demo")

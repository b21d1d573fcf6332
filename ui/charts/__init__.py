"""Figure builders: binned data in (see ``lessons.binned``), plain figure specs out.

Every builder returns a dict spec (``{"data": [...], "layout": {...}}``) of a size that does
not depend on the tensor's; ``base.figure`` wraps it for ``st.plotly_chart``.
"""

from ..i18n import t
from .bars import TEXT_HOVER, bars_with_lines
from .base import PALETTE, cycle, figure, validate
from .distributions import error_histogram, level_histogram
from .grid import category_grid
from .heatmap import log_heatmap, signed_heatmap
from .lines import Marker, Series, line_chart, marked_histogram
from .numberline import interval_line
from .relations import error_cloud, staircase
from .rug import TickRow, histogram_with_ticks

#: The texts the builders need (legends and axis titles), as ``chart.<name>`` keys.
LABELS = ("x", "x_hat", "levels", "value", "count", "identity", "staircase", "code", "input",
          "output", "error", "error_axis", "log_count", "format", "gb")


def labels() -> dict[str, str]:
    """Every chart text in the current language, by name."""
    return {name: t(f"chart.{name}") for name in LABELS}


__all__ = ["LABELS", "PALETTE", "TEXT_HOVER", "Marker", "Series", "TickRow", "bars_with_lines",
           "category_grid", "cycle", "error_cloud", "error_histogram", "figure",
           "histogram_with_ticks", "interval_line", "labels", "level_histogram", "line_chart",
           "log_heatmap", "marked_histogram", "signed_heatmap", "staircase", "validate"]

"""The maths behind the Calibration page: each method's rule with this tensor's numbers.

The words inside the formulas come from ``say(key)`` (the page passes its translator,
``c.maths.word.<key>``), so the formulas read in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable

from .calibration import METHODS, Report, Settings
from .text import num

#: The words the formulas use, as ``say`` keys.
WORDS = (*METHODS, "levels", "clipped", "rest", "clip", "round")


def _text(say: Callable[[str], str], key: str) -> str:
    return rf"\text{{{say(key)}}}"


def latex(r: Report, s: Settings, say: Callable[[str], str]) -> list[str]:
    """One line per method (its rule and the range it gave), then the error split."""
    w = {key: _text(say, key) for key in WORDS}
    lines = []
    if (m := r.result("minmax")) is not None:
        lines.append(
            rf"{w['minmax']}:\quad \alpha = \max_i |x_i| = {num(m.hi, 6)}" if s.symmetric
            else rf"{w['minmax']}:\quad \beta = \min_i x_i = {num(m.lo, 6)},\quad "
                 rf"\alpha = \max_i x_i = {num(m.hi, 6)}")
    if (m := r.result("percentile")) is not None:
        p, low = num(s.percentile, 6), num(100 - s.percentile, 6)
        lines.append(
            rf"{w['percentile']}:\quad \alpha = P_{{{p}}}(|x|) = {num(m.hi, 6)}" if s.symmetric
            else rf"{w['percentile']}:\quad \beta = P_{{{low}}}(x) = {num(m.lo, 6)},\quad "
                 rf"\alpha = P_{{{p}}}(x) = {num(m.hi, 6)}")
    if r.result("entropy") is not None and r.kl is not None:
        k = r.kl
        exponent = "b" if k.levels == 1 << s.bits else "b - 1"
        lines.append(
            rf"{w['entropy']}:\quad i^* = \arg\min_{{i \ge 128}} \mathrm{{KL}}(P_i \,\|\, Q_i)"
            rf" = {k.kept_bins},\quad t = i^* w = {k.kept_bins} \cdot {num(k.width, 4)}"
            rf" = {num(k.threshold, 6)}")
        lines.append(
            rf"\mathrm{{KL}}(P \,\|\, Q) = \sum_j P_j \log\frac{{P_j}}{{Q_j}} = "
            rf"{num(k.divergence, 4)},\quad Q:\ 2^{{{exponent}}} = {k.levels}\ {w['levels']}")
    if (m := r.result("mse")) is not None:
        lines.append(
            rf"{w['mse']}:\quad (\beta, \alpha) = \arg\min \tfrac{{1}}{{n}}\sum_i "
            rf"(\hat{{x}}_i - x_i)^2 = ({num(m.lo, 6)}, {num(m.hi, 6)}),\quad "
            rf"\mathrm{{MSE}} = {num(m.mse, 4)}")
    best = r.best(METHODS)
    if best is not None:
        lines.append(
            rf"\mathrm{{MSE}}_{{{w[best.method]}}} = \underbrace{{\tfrac{{1}}{{n}}"
            rf"\sum_{{x_i\ {w['clipped']}}}(\hat{{x}}_i - x_i)^2}}_{{{w['clip']}}} + "
            rf"\underbrace{{\tfrac{{1}}{{n}}\sum_{{{w['rest']}}}(\hat{{x}}_i - x_i)^2}}"
            rf"_{{{w['round']}}} = {num(best.clip_mse, 4)} + {num(best.round_mse, 4)} = "
            rf"{num(best.mse, 4)}")
        lines.append(
            rf"s_{{{w[best.method]}}} = \frac{{\max(|\beta|, |\alpha|)}}{{2^{{b-1}} - 1}} = "
            rf"{num(best.scale, 6)}" if s.symmetric else
            rf"s_{{{w[best.method]}}} = \frac{{\alpha - \beta}}{{2^b - 1}} = {num(best.scale, 6)}"
            rf",\quad z = {best.zero_point}")
    return lines

"""The maths behind the Uniform page: formulas filled in with the live numbers, and code.

The numpy and PyTorch snippets compute the parameters from ``x`` and quantize it with
exactly quantlib's arithmetic (the same dtypes, the same rounding, the same random
stream), so running them on the workspace tensor gives exactly the codes the page
shows; the tests check that. Every layout is written the same way: ``x`` is viewed as one
row per (scale, zero point), as quantlib does it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quantlib.qtypes import num_groups

from .text import exact, num
from .uniform import Report, Settings

Say = Callable[..., str]
#: The comments of the numpy and PyTorch snippets, by key (and their placeholders).
COMMENTS = ("tensor", "signed_codes", "unsigned_codes", "rows", "typed_range",
            "percentile_abs", "percentile_pair", "symmetric", "holds_zero", "zero_width",
            "padding", "divide", "half_even", "half_away", "stochastic", "dequantize")


def _n(value) -> str:
    """A number for LaTeX: negative values in parentheses so that ``- (-0.8)`` reads well."""
    text = num(value, 6)
    return f"({text})" if text.startswith("-") else text


def latex(s: Settings, r: Report) -> list[str]:
    """LaTeX lines: the scale, the zero point, and the first value worked through."""
    fq = r.focus_qparams
    lo, hi = r.range_used
    lines = []
    if s.symmetric:
        lines.append(
            rf"s = \frac{{\max(|\beta|, |\alpha|)}}{{q_{{max}}}} = \frac{{{num(hi, 6)}}}"
            rf"{{{fq.qmax}}} = {num(fq.scale, 6)}, \qquad z = 0")
    else:
        lines.append(
            rf"s = \frac{{\alpha - \beta}}{{q_{{max}} - q_{{min}}}} = \frac{{{num(hi, 6)} - "
            rf"{_n(lo)}}}{{{fq.qmax} - {_n(fq.qmin)}}} = {num(fq.scale, 6)}")
        clip = r"\operatorname{clip}\big(" if s.include_zero else r"\big("
        lines.append(
            rf"z = {clip}q_{{min}} - \operatorname{{round}}(\beta / s)\big) = {fq.qmin} - "
            rf"\operatorname{{round}}({_n(lo)} / {num(fq.scale, 6)}) = {fq.zero_point}")
    lines.append(r"q = \operatorname{clip}\big(\operatorname{round}(x / s) + z,\ q_{min},\ "
                 rf"q_{{max}}\big), \quad q \in [{fq.qmin}, {fq.qmax}]")
    lines.append(r"\hat{x} = (q - z)\cdot s")
    if len(r.table["x"]):
        row = {k: v[0] for k, v in r.table.items()}
        lines.append(
            rf"x_0 = {num(row['x'], 6)}:\ \ x_0/s = {num(row['x/s'], 6)} \ \to\ "
            rf"\operatorname{{round}} = {num(row['round'])} \ \to\ +z = {num(row['+z'])} "
            rf"\ \to\ q = {row['q']} \ \to\ \hat{{x}} = ({row['q']} - {_n(row['zero_point'])})"
            rf"\cdot {num(row['scale'], 6)} = {num(row['x_hat'], 6)}")
    return lines


def quantlib_code(s: Settings) -> str:
    """The same computation with quantlib's public API."""
    args = [f"bits={s.bits}", f"symmetric={s.symmetric}", f"signed={s.signed}",
            f"narrow_range={s.narrow_range}", f"include_zero={s.include_zero}"]
    if s.method == "manual":
        lo, hi = s.manual_range
        call = f"ql.qparams_from_range({exact(lo)}, {exact(hi)}, " + ", ".join(args) + ")"
    else:
        args.append(f'method="{s.method}"')
        if s.method == "percentile":
            args.append(f"percentile={exact(s.percentile)}")
        layout = s.layout
        args.append(f'granularity="{layout.granularity}"')
        if layout.granularity != "tensor":
            args.append(f"axis={layout.axis}")
        if layout.granularity == "group":
            args.append(f"group_size={layout.group_size}")
        call = "ql.choose_qparams(x, " + ", ".join(args) + ")"
    rounding = f', rounding="{s.rounding}"'
    if s.rounding == "stochastic":
        rounding += f", seed={s.seed}"
    return (f"import quantlib as ql\n\nqp = {call}\n"
            f"q = ql.quantize(x, qp{rounding})\nx_hat = ql.dequantize(q, qp)\n"
            "print(ql.metrics(x, x_hat, qp))\n")


@dataclass(frozen=True)
class Dialect:
    """How numpy or PyTorch spells each step of the snippet ({v}: the operand)."""

    name: str
    header: str
    lib: str
    moveaxis: str
    pad: str
    nan: str
    min: str
    max: str
    nanmin: str
    nanmax: str
    quantile: str
    nanquantile: str
    cast: str
    array: str
    zeros_like: str
    clip: str
    bool_as_float: str
    noise: str


NUMPY = Dialect(
    name="numpy", header="import numpy as np\n", lib="np",
    moveaxis="np.moveaxis({v}, {src}, {dst})",
    pad="np.pad({v}, [(0, 0)] * ({v}.ndim - 1) + [(0, {n})], constant_values={fill})",
    nan="np.nan", min="{v}.min(axis=1)", max="{v}.max(axis=1)",
    nanmin="np.nanmin({v}, axis=1)", nanmax="np.nanmax({v}, axis=1)",
    quantile="np.percentile({v}, {p}, axis=1)",
    nanquantile="np.nanpercentile({v}, {p}, axis=1)",
    cast="{v}.astype(np.{dtype})", array="np.array([{value}])", zeros_like="np.zeros_like({v})",
    clip="np.clip({v}, qmin, qmax)", bool_as_float="{v}",
    noise="u = np.random.default_rng({seed}).random(x.shape, dtype=x.dtype)",
)

TORCH = Dialect(
    name="torch", header="import numpy as np\nimport torch\n\nx = torch.from_numpy(x)\n",
    lib="torch", moveaxis="{v}.movedim({src}, {dst})",
    pad="torch.nn.functional.pad({v}, (0, {n}), value={fill})", nan="float('nan')",
    min="{v}.amin(dim=1)", max="{v}.amax(dim=1)",
    nanmin="{v}.nan_to_num(nan=float('inf')).amin(dim=1)",
    nanmax="{v}.nan_to_num(nan=float('-inf')).amax(dim=1)",
    # numpy's percentiles: torch.quantile interpolates differently in the last bit.
    quantile="torch.from_numpy(np.percentile({v}.numpy(), {p}, axis=1))",
    nanquantile="torch.from_numpy(np.nanpercentile({v}.numpy(), {p}, axis=1))",
    cast="{v}.to(torch.{dtype})", array="torch.tensor([{value}], dtype=torch.float64)",
    zeros_like="torch.zeros_like({v})", clip="torch.clamp({v}, qmin, qmax)",
    bool_as_float="{v}.to(y.dtype)",
    noise="u = torch.from_numpy(np.random.default_rng({seed}).random(tuple(x.shape), "
          "dtype=np.float32 if x.dtype == torch.float32 else np.float64))",
)


def _to_rows(d: Dialect, s: Settings, shape: tuple[int, ...], src: str, fill: str
             ) -> tuple[list[str], list[str], bool]:
    """Lines viewing ``src`` as rows, lines putting ``q``/``x_hat`` back, and padded?"""
    layout = s.layout.resolve(shape)
    if layout.granularity == "tensor":
        return [f"{src}_rows = {src}.reshape(1, -1)"], [
            "q, x_hat = q.reshape(x.shape), x_hat.reshape(x.shape)"], False
    axis = layout.axis
    if layout.granularity == "channel":
        moved = d.moveaxis.format(v=src, src=axis, dst=0)
        back = d.moveaxis.format(v=f"{{v}}.reshape({d.moveaxis.format(v='x', src=axis, dst=0)}"
                                   ".shape)", src=0, dst=axis)
        return ([f"{src}_rows = {moved}.reshape(x.shape[{axis}], -1)"],
                [f"{v} = {back.format(v=v)}" for v in ("q", "x_hat")], False)
    size = layout.group_size
    pad = num_groups(shape[axis], size) * size - shape[axis]
    lines = [f"{src}_m = {d.moveaxis.format(v=src, src=axis, dst=-1)}"]
    if pad:
        lines.append(f"{src}_m = {d.pad.format(v=f'{src}_m', n=pad, fill=fill)}")
    lines.append(f"{src}_rows = {src}_m.reshape(-1, {size})")
    back = d.moveaxis.format(v=f"{{v}}.reshape(x_m.shape)[..., :x.shape[{axis}]]", src=-1,
                             dst=axis)
    return lines, [f"{v} = {back.format(v=v)}" for v in ("q", "x_hat")], bool(pad)


def _calibration(d: Dialect, s: Settings, padded: bool, say: Say) -> list[str]:
    """Lines giving every row's range in float64: ``lo, hi``, or ``amax`` when symmetric."""
    f64 = "float64"
    if s.method == "manual":
        lo, hi = (d.array.format(value=exact(v)) for v in s.manual_range)
        lines = [f"lo, hi = {lo}, {hi}   # {say('typed_range')}"]
        return lines + (["amax = " + _maximum(d, "abs(lo)", "abs(hi)")] if s.symmetric else [])
    if s.method == "minmax":
        lo = (d.nanmin if padded else d.min).format(v="x_rows")
        hi = (d.nanmax if padded else d.max).format(v="x_rows")
        lines = [f"lo, hi = {d.cast.format(v=lo, dtype=f64)}, {d.cast.format(v=hi, dtype=f64)}"]
        return lines + (["amax = " + _maximum(d, "abs(lo)", "abs(hi)")] if s.symmetric else [])
    p = exact(s.percentile)
    quantile = d.nanquantile if padded else d.quantile
    if s.symmetric:
        amax = quantile.format(v="abs(x_rows)", p=p)
        return [f"amax = {d.cast.format(v=amax, dtype=f64)}   # {say('percentile_abs', p=p)}"]
    pair = quantile.format(v="x_rows", p=f"[100 - {p}, {p}]")
    return [f"lo, hi = {d.cast.format(v=pair, dtype=f64)}   # {say('percentile_pair', p=p)}"]


def _maximum(d: Dialect, a: str, b: str) -> str:
    return f"{d.lib}.maximum({a}, {b})"


def _parameters(d: Dialect, s: Settings, degenerate: bool, say: Say) -> list[str]:
    """Lines turning each row's range into its scale ``s`` (float64) and zero point ``z``."""
    lib = d.lib
    if s.symmetric:
        scale = f"{lib}.where(amax > 0, amax / qmax, 1.0)" if degenerate else "amax / qmax"
        return [f"# {say('symmetric')}",
                f"s = {scale}", f"z = {d.zeros_like.format(v='s')}"]
    lines = []
    if s.include_zero:
        lines.append(f"lo, hi = {lib}.minimum(lo, {d.zeros_like.format(v='lo')}), "
                     f"{lib}.maximum(hi, {d.zeros_like.format(v='hi')})   # {say('holds_zero')}")
    if degenerate:
        lines.append(f"s = {lib}.where(hi > lo, (hi - lo) / (qmax - qmin), {lib}.where(lo == 0, "
                     f"1.0, abs(lo) / (qmax - qmin)))   # {say('zero_width')}")
    else:
        lines.append("s = (hi - lo) / (qmax - qmin)")
    z = f"qmin - {lib}.round(lo / s)"
    lines.append(f"z = {d.clip.format(v=z) if s.include_zero else z}")
    return lines


def _rounding(d: Dialect, s: Settings, noise_rows: list[str], say: Say) -> list[str]:
    lib = d.lib
    if s.rounding == "half_even":
        return [f"y = {lib}.round(y)   # {say('half_even')}"]
    if s.rounding == "floor":
        return [f"y = {lib}.floor(y)"]
    if s.rounding == "half_away":
        up = d.bool_as_float.format(v=f"(abs(y - {lib}.trunc(y)) >= 0.5)")
        return [f"# {say('half_away')}",
                f"y = {lib}.trunc(y) + {lib}.copysign({up}, y)"]
    return [f"# {say('stochastic')}",
            d.noise.format(seed=s.seed), *noise_rows, f"f = {lib}.floor(y)",
            "y = f + (u_rows < y - f)"]


def code(d: Dialect, s: Settings, r: Report, shape: tuple[int, ...], degenerate: bool,
         say: Say) -> str:
    """A snippet in dialect ``d`` that reproduces quantlib's codes for ``x`` exactly.

    ``degenerate``: whether some row has a zero-width range (the snippet then spells out
    the step quantlib gives it). ``say(key, **values)`` gives the text of each comment
    (keys in ``COMMENTS``), so that the app can show them in the student's language.
    """
    fq = r.focus_qparams
    codes, work = str(fq.dtype), r.work_dtype
    rows, back, padded = _to_rows(d, s, shape, "x", d.nan)
    noise_rows = _to_rows(d, s, shape, "u", "0.0")[0] if s.rounding == "stochastic" else []
    sign = "signed_codes" if s.signed else "unsigned_codes"
    lines = [d.header, f"# {say('tensor', shape=tuple(shape))}",
             f"qmin, qmax = {fq.qmin}, {fq.qmax}   # {say(sign, bits=s.bits)}",
             f"# {say('rows')}", *rows]
    lines += _calibration(d, s, padded, say) + _parameters(d, s, degenerate, say)
    if padded:
        zeros = ("x_rows.nan_to_num(nan=0.0)" if d.name == "torch" else
                 "np.nan_to_num(x_rows, nan=0.0)")
        lines.append(f"x_rows = {zeros}   # {say('padding')}")
    s_w = d.cast.format(v="s[:, None]", dtype=work)
    z_w = d.cast.format(v="z[:, None]", dtype=work)
    lines.append(f"y = x_rows / {s_w}   # {say('divide', dtype=work)}")
    lines += _rounding(d, s, noise_rows, say)
    lines.append(f"q = {d.cast.format(v=d.clip.format(v=f'y + {z_w}'), dtype=codes)}")
    q64 = d.cast.format(v="q", dtype="float64")
    x_hat = d.cast.format(v=f"(({q64} - z[:, None]) * s[:, None])", dtype="float32")
    lines.append(f"x_hat = {x_hat}   # {say('dequantize')}")
    return "\n".join(lines + back) + "\n"

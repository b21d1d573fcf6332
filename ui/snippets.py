"""The formulas (LaTeX) and code (numpy, PyTorch, quantlib) behind the Uniform page, filled
in with the live numbers. String formatting only: every number comes from quantlib."""

from __future__ import annotations

from .controls import UniformSettings
from .fmt import num


def _n(value) -> str:
    """A number for LaTeX: negative values in parentheses so that ``- (-0.8)`` reads well."""
    text = num(value, 6)
    return f"({text})" if text.startswith("-") else text


def uniform_latex(s: UniformSettings, r) -> list[str]:
    """LaTeX lines: the scale, the zero point, and one value worked through."""
    fq = r.focus_qparams
    lo, hi = r.range_used
    row = {k: v[0] for k, v in r.table.items()} if len(r.table["x"]) else None
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
    if row is not None:
        lines.append(
            rf"x_0 = {num(row['x'], 6)}:\ \ x_0/s = {num(row['x/s'], 6)} \ \to\ "
            rf"\operatorname{{round}} = {num(row['round'])} \ \to\ +z = {num(row['+z'])} "
            rf"\ \to\ q = {row['q']} \ \to\ \hat{{x}} = ({row['q']} - {_n(row['zero_point'])})"
            rf"\cdot {num(row['scale'], 6)} = {num(row['x_hat'], 6)}")
    return lines


def _quantlib_args(s: UniformSettings) -> str:
    args = [f"bits={s.bits}", f"symmetric={s.symmetric}", f"signed={s.signed}",
            f"narrow_range={s.narrow_range}", f"include_zero={s.include_zero}"]
    if s.method == "manual":
        lo, hi = s.manual_range
        return f"ql.qparams_from_range({lo!r}, {hi!r}, " + ", ".join(args) + ")"
    args.append(f'method="{s.method}"')
    if s.method == "percentile":
        args.append(f"percentile={s.percentile!r}")
    args.append(f'granularity="{s.granularity}"')
    if s.granularity != "tensor":
        args.append(f"axis={s.axis}")
    if s.granularity == "group":
        args.append(f"group_size={s.group_size}")
    return "ql.choose_qparams(x, " + ", ".join(args) + ")"


def quantlib_code(s: UniformSettings) -> str:
    rounding = f', rounding="{s.rounding}"' + (f", seed={s.seed}" if s.rounding == "stochastic"
                                                else "")
    return (f"import quantlib as ql\n\nqp = {_quantlib_args(s)}\n"
            f"q = ql.quantize(x, qp{rounding})\nx_hat = ql.dequantize(q, qp)\n"
            "print(ql.metrics(x, x_hat, qp))\n")


_NUMPY_ROUND = {
    "half_even": "np.round(x / s)",
    "half_away": "np.sign(x / s) * np.floor(np.abs(x / s) + 0.5)",
    "floor": "np.floor(x / s)",
    "stochastic": "np.floor(x / s + np.random.default_rng(seed).random(x.shape))",
}
_TORCH_ROUND = {
    "half_even": "torch.round(x / s)",
    "half_away": "torch.sign(x / s) * torch.floor(torch.abs(x / s) + 0.5)",
    "floor": "torch.floor(x / s)",
    "stochastic": "torch.floor(x / s + torch.rand_like(x))",
}


def numpy_code(s: UniformSettings, r) -> str:
    fq = r.focus_qparams
    head = (f"s, z = {num(fq.scale, 8)}, {fq.zero_point}"
            if s.granularity == "tensor" else
            "s, z = scales, zero_points   # one per channel/group, broadcast against x")
    return (f"import numpy as np\n\n{head}\nqmin, qmax = {fq.qmin}, {fq.qmax}\n"
            f"q = np.clip({_NUMPY_ROUND[s.rounding]} + z, qmin, qmax).astype(np.{fq.dtype})\n"
            "x_hat = (q.astype(np.float32) - z) * s\n")


def torch_code(s: UniformSettings, r) -> str:
    fq = r.focus_qparams
    lines = ["import torch", ""]
    native_int8 = s.bits == 8 and not s.narrow_range and s.rounding == "half_even"
    if s.granularity == "tensor":
        lines.append(f"s, z = {num(fq.scale, 8)}, {fq.zero_point}")
        if native_int8:
            dtype = "torch.qint8" if s.signed else "torch.quint8"
            lines += [f"qx = torch.quantize_per_tensor(x, s, z, {dtype})",
                      "q, x_hat = qx.int_repr(), qx.dequantize()"]
    else:
        lines.append("s, z = scales, zero_points   # tensors of one value per channel")
        if s.granularity == "group":
            lines.append(f"x = x.movedim({s.axis}, -1).reshape(-1, {s.group_size})"
                         "   # one row per group (pad a partial last group)")
    if not (native_int8 and s.granularity == "tensor"):
        lines += [f"qmin, qmax = {fq.qmin}, {fq.qmax}",
                  f"q = torch.clamp({_TORCH_ROUND[s.rounding]} + z, qmin, qmax)",
                  "x_hat = (q - z) * s"]
    return "\n".join(lines) + "\n"

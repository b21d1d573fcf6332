"""Number formats: FP32 to FP4 and E8M0, bit by bit; range, precision, overflow."""

import streamlit as st

from lessons import formats, text
from ui import cache, charts, fmt, layout, workspace
from ui.charts import Series
from ui.i18n import t
from views.formats import controls

# Sign, exponent and mantissa, coloured as in the seeds' diagrams.
FIELD_COLORS = {"sign": "red", "exponent": "green", "mantissa": "blue"}
# zero, subnormal, normal, inf, NaN: a class keeps its colour whatever the format.
GRID_COLORS = dict(zip(formats.CLASSES, ("#BAB0AC", "#72B7B2", "#4C78A8", "#F58518",
                                         "#E45756"), strict=True))

ws = workspace.current()
layout.header(t("f.title"), t("f.why"))
controls.check_code()
layout.link_notices()

st.subheader(t("f.table.title"))
st.markdown(t("f.table.intro"))
infos = formats.format_table()
layout.table(lambda: ({
    t("f.col.format"): [t(f"f.name.{i.name}") for i in infos],
    t("f.col.bits"): [f"{i.sign_bits} · {i.exponent_bits} · {i.mantissa_bits}" for i in infos],
    t("f.col.bias"): [i.bias for i in infos],
    t("f.col.max"): [i.max for i in infos],
    t("f.col.normal"): [i.smallest_normal for i in infos],
    t("f.col.subnormal"): [i.smallest_subnormal for i in infos],
    t("f.col.eps"): [i.eps for i in infos],
    t("f.col.count"): [i.finite_values for i in infos],
    t("f.col.specials"): [t(f"f.specials.{int(i.has_inf)}{int(i.has_nan)}{int(i.has_zero)}")
                          for i in infos],
}, {t(f"f.col.{c}"): st.column_config.NumberColumn(format="%.6g", width="medium")
    for c in ("max", "normal", "subnormal", "eps")}), depends_on="format_table")
st.info(t("f.seed002_fp16"), icon=":material/fact_check:")

st.subheader(t("f.inspect.title"))
st.markdown(t("f.inspect.intro"))
value, overflow = controls.draw_value()
rows = formats.inspect(value, overflow)
st.caption(t("f.inspect.legend"))
for row in rows:
    d = row.bits
    fields = "—" if d is None else " ".join(
        f":{FIELD_COLORS[field]}[{bits}]" for field, bits in (
            ("sign", d.sign), ("exponent", d.exponent), ("mantissa", d.mantissa)) if bits)
    st.markdown(t("f.inspect.row", name=t(f"f.name.{row.fmt}"), fields=fields,
                  kind=t(f"f.kind.{d.kind}") if d else t("f.kind.none"),
                  stored=fmt.num(row.value, 8), error=fmt.num(row.error, 3),
                  formula=row.formula))
if overflow == "saturate":
    st.caption(t("f.overflow_note"))

st.subheader(t("f.bits.title"))
st.markdown(t("f.bits.intro"))
bits_fmt, code = controls.draw_code()
shown = formats.compose_shown(code, bits_fmt)
for row in shown.bit_rows():
    for column, (position, bit, field) in zip(st.columns(formats.BITS_PER_ROW), row,
                                              strict=False):
        column.button(f":{FIELD_COLORS[field]}[{bit}]", key=f"f_bit_{bits_fmt}_{position}",
                      on_click=controls.flip_bit, args=(bits_fmt, position), width="stretch",
                      help=t("f.bits.flip", position=position))
d = shown.bits
st.markdown(t("f.bits.row", kind=t(f"f.kind.{d.kind}"), value=fmt.num(d.value, 10),
              formula=shown.formula, below=fmt.num(d.below, 8), above=fmt.num(d.above, 8)))

st.subheader(t("f.spacing.title"))
st.markdown(t("f.spacing.intro"))
layout.chart(lambda: charts.line_chart(
    [Series(t(f"f.name.{s.fmt}"), s.magnitude, s.gap, color, width=2.5)
     for s, color in zip(formats.spacings(), charts.cycle(), strict=False)],
    [], t("f.spacing.x"), t("f.spacing.y"), log_y=True, log_x=True,
    x_range=formats.SPACING_VIEW, y_range=formats.SPACING_GAPS),
    key="f_chart_spacing", depends_on="spacing", summary=t("f.spacing.summary"))

st.subheader(t("f.demo.title"))
demo = controls.draw_demo()
st.markdown(t(f"f.demo.text.{demo}"))
demo_rows = cache.lesson(formats.demo_rows, "demo", None, demo)
layout.table(lambda: ({
    t("f.col.format"): [t(f"f.name.{r.fmt}") for r in demo_rows],
    t("f.demo.result"): [fmt.num(r.result, 8) for r in demo_rows],
    t("f.demo.exact"): [fmt.num(r.exact, 8) for r in demo_rows],
}, {}), depends_on=("demo", demo))

st.subheader(t("f.grid.title"))
st.markdown(t("f.grid.intro"))
grid_fmt = controls.draw_grid()
grid = cache.lesson(formats.code_grid, "grid", None, grid_fmt)
marked = formats.grid_mark(grid, bits_fmt, code)
kind_names = [t(f"f.kind.{k}") for k in grid.classes]
columns, rows_ = formats.grid_labels(grid)
layout.pick_chart(lambda: charts.category_grid(
    grid.kinds, [[fmt.num(v, 3) for v in row] for row in grid.values],
    [[f"{b} = {fmt.num(v, 8)}" for b, v in zip(brow, vrow, strict=True)]
     for brow, vrow in zip(grid.bits, grid.values, strict=True)],
    columns, rows_, kind_names, [GRID_COLORS[k] for k in grid.classes], t("f.grid.low"),
    t("f.grid.high"),
    height=formats.grid_height(grid), marked=marked),
    key="f_chart_grid", depends_on=("grid", grid_fmt, marked),
    summary=t("f.grid.summary", name=t(f"f.name.{grid_fmt}"),
              count=fmt.count(grid.values.size, "fmt.values"), classes=", ".join(kind_names)),
    on_pick=lambda index: controls.pick_code(grid_fmt, index))
if marked is not None:
    st.markdown(t("f.grid.marked", bits=d.bits, kind=t(f"f.kind.{d.kind}"),
                  value=fmt.num(d.value, 10)))

st.markdown(t("f.line.intro"))
line = cache.lesson(formats.number_line_of, "line", None, (grid_fmt, overflow))
beyond = formats.overflow_kind(line)
tail = {"inf": t("f.line.to_inf"), "nan": t("f.line.to_nan")}.get(beyond)
layout.chart(lambda: charts.interval_line(
    line.lows, line.highs, line.values,
    [t("f.line.hover", interval=text.interval_text(lo, hi, lc, hc), value=fmt.num(v, 8))
     for lo, hi, lc, hc, v in zip(line.lows, line.highs, line.low_closed, line.high_closed,
                                  line.values, strict=True)],
    [fmt.num(v, 3) if shown else "" for v, shown in zip(line.values, line.labelled,
                                                        strict=True)],
    (t("f.line.intervals"), t("f.line.values"), tail or ""), t("f.line.x"), view=line.view,
    tail=(line.overflow_at, t("f.line.hover", interval=formats.overflow_interval(line),
                              value=beyond)) if tail else None),
    key="f_chart_line", depends_on=("line", grid_fmt, overflow),
    summary=t(f"f.line.summary.{beyond}", name=t(f"f.name.{grid_fmt}"),
              max=fmt.num(line.values[-1], 8), at=fmt.num(line.overflow_at, 8)))

st.subheader(t("f.sr.title"))
st.markdown(t("f.sr.intro"))
seed = controls.draw_seed()
sums = cache.lesson(formats.stochastic_sums, "stochastic", None, seed)
layout.chart(lambda: charts.line_chart(
    [Series(t("f.sr.reference"), sums.steps, sums.reference, charts.PALETTE[6], dash="dot"),
     Series(t("f.sr.nearest"), sums.steps, sums.nearest, charts.PALETTE[0], width=3),
     Series(t("f.sr.stochastic"), sums.steps, sums.stochastic, charts.PALETTE[2])],
    [], t("f.sr.x"), t("f.sr.y")), key="f_chart_sr", depends_on=("sr", seed),
    summary=t("f.sr.summary", nearest=fmt.num(sums.nearest[-1], 6),
              stochastic=fmt.num(sums.stochastic[-1], 6),
              reference=fmt.num(sums.reference[-1], 6)))

st.subheader(t("f.compare.title"))
st.markdown(t("f.compare.intro", values=fmt.count(ws.x.size, "fmt.values")))
compared = layout.computed(formats.compare, ws.key, ws.x, formats.Compare(),
                          busy=t("f.compare.busy"), invalid=lambda reason: reason)
layout.table(lambda: ({
    t("f.col.format"): [t(f"f.name.{r.fmt}") for r in compared.rows],
    t("f.col.mse"): [r.mse for r in compared.rows],
    t("f.col.max_error"): [r.max_error for r in compared.rows],
    t("f.col.sqnr"): [r.sqnr_db for r in compared.rows],
    t("f.col.exact"): [fmt.pct(r.exact) for r in compared.rows],
    t("f.col.overflowed"): [fmt.pct(r.overflowed) for r in compared.rows],
    t("f.col.flushed"): [fmt.pct(r.flushed) for r in compared.rows],
    t("f.col.bytes"): [fmt.size(r.bytes) for r in compared.rows],
}, {t(f"f.col.{c}"): st.column_config.NumberColumn(format="%.4g")
    for c in ("mse", "max_error", "sqnr")}), depends_on=(ws.key, "compare"))
layout.chart(lambda: charts.line_chart(
    [Series(t(f"f.name.{c.fmt}"), c.centres, c.percent, color, points=True)
     for c, color in zip(formats.error_curves(compared), charts.cycle(), strict=False)],
    [], t("f.compare.x"), t("f.compare.y"), log_x=True),
    key="f_chart_errors", depends_on=(ws.key, "errors"), summary=t("f.compare.summary"))

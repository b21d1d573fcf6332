"""Non-uniform quantization: codebooks against the data (log2, NF4, FP grids, the dynamic
map, k-means, quantile, binary codes), what they cost, and the MX and NVFP4 block formats."""

import streamlit as st

from lessons import nonuniform, text
from lessons.nonuniform import SCHEMES
from ui import charts, fmt, layout, workspace
from ui.charts import Series, TickRow
from ui.i18n import t
from views.nonuniform import controls

COLORS = dict(zip(SCHEMES, charts.PALETTE, strict=True))

ws = workspace.current()
layout.header(t("n.title"), t("n.why"))

preset = layout.preset_and_reset(controls.preset_selector, controls.reset, t("n.reset"),
                                  t("n.reset_help"))
if preset in controls.PRESETS:
    st.markdown(t(f"n.preset.note.{preset}"))
settings = controls.draw()
layout.link_notices()
if not settings.schemes:
    st.info(t("n.none_chosen"), icon=":material/checklist:")


def invalid(reason: str) -> str:
    return t("n.invalid", reason=reason)


# Each scheme (and its curve) is cached on its own: turning one on computes only that one.
results = layout.computed_each(nonuniform.scheme, ws.key, ws.x, settings.ones(),
                               busy=t("n.computing"), invalid=invalid)
hist = layout.computed(nonuniform.histogram, ws.key, ws.x, settings.view(),
                       busy=t("n.computing"), invalid=invalid)
report = nonuniform.assemble(ws.x.size, settings, results, hist)
names = {kind: t(f"n.scheme.{kind}") for kind in SCHEMES}
if report.skipped:
    st.caption(t("n.skipped", bits=settings.bits,
                  names=", ".join(t(f"n.only.{kind}", name=names[kind])
                                  for kind in report.skipped)))
drawn = (ws.key, settings)

st.subheader(t("n.levels.title"))
st.markdown(t("n.levels.intro"))
if settings.granularity == "block":
    st.caption(t("n.levels.block", size=settings.block_size))
layout.chart(lambda: charts.histogram_with_ticks(
    report.edges, report.counts,
    [TickRow(names[r.kind], r.levels,
             [t("n.levels.hover", name=names[r.kind], index=i, level=fmt.num(v, 4),
                interval=text.interval_text(lo, hi, lc, hc, 4),
                count=fmt.count(int(n), "fmt.values"))
              for i, (v, lo, hi, lc, hc, n) in enumerate(zip(
                  r.levels, r.lows, r.highs, r.low_closed, r.high_closed, r.usage,
                  strict=True))], COLORS[r.kind])
     for r in report.results],
    t("chart.value"), t("chart.count"), t("chart.x")),
    key="n_chart_levels", depends_on=("levels", drawn),
    summary=t("n.levels.summary", count=len(report.results)))

st.subheader(t("n.table.title"))
if report.results:
    layout.table(lambda: ({
        t("n.col.scheme"): [names[r.kind] for r in report.results],
        t("n.col.mse"): [r.mse for r in report.results],
        t("n.col.sqnr"): [r.sqnr_db for r in report.results],
        t("n.col.max_error"): [r.max_error for r in report.results],
        t("n.col.bits"): [r.bits_per_value for r in report.results],
        t("n.col.used"): [t("n.used", used=r.used, of=r.levels.size) for r in report.results],
    }, {**{t(f"n.col.{c}"): st.column_config.NumberColumn(format="%.4g")
           for c in ("mse", "max_error")},
        t("n.col.sqnr"): st.column_config.NumberColumn(format="%.1f"),
        t("n.col.bits"): st.column_config.NumberColumn(format="%.3f")}),
        depends_on=("table", drawn))
    best = report.best()
    st.caption(t("n.table.best", name=names[best.kind], sqnr=fmt.num(best.sqnr_db, 3)))
    left, right = st.columns(2)
    with left:
        layout.chart(lambda: charts.bars_with_lines(
            [names[r.kind] for r in report.results], [r.sqnr_db for r in report.results],
            [fmt.db(r.sqnr_db) for r in report.results], {},
            {"x": t("n.col.scheme"), "y": t("n.col.sqnr")}, charts.TEXT_HOVER),
            key="n_chart_sqnr", depends_on=("sqnr", drawn), summary=t("n.bars.sqnr"))
    with right:
        layout.chart(lambda: charts.bars_with_lines(
            [names[r.kind] for r in report.results], [r.used for r in report.results],
            [t("n.used", used=r.used, of=r.levels.size) for r in report.results], {},
            {"x": t("n.col.scheme"), "y": t("n.col.used")}, "%{x}: %{y}<extra></extra>"),
            key="n_chart_used", depends_on=("used", drawn), summary=t("n.bars.used"))

st.subheader(t("n.usage.title"))
st.markdown(t("n.usage.intro"))
layout.chart(lambda: charts.line_chart(
    [Series(names[r.kind], r.ranks, r.balance, COLORS[r.kind], points=True)
     for r in report.results], [], t("n.usage.x"), t("n.usage.y"), log_y=True),
    key="n_chart_usage", depends_on=("usage", drawn), summary=t("n.usage.summary"))

st.subheader(t("n.curve.title"))
st.markdown(t("n.curve.intro"))
curves = layout.computed_each(nonuniform.scheme_curve, ws.key, ws.x, settings.curve_ones(),
                              busy=t("n.computing"), invalid=invalid)
layout.chart(lambda: charts.line_chart(
    [Series(names[c.kind], c.bits_per_value, c.mse, COLORS[c.kind], points=True)
     for c in curves], [], t("n.curve.x"), t("n.curve.y"), log_y=True),
    key="n_chart_curve", depends_on=("curve", ws.key, settings.curve_ones()),
    summary=t("n.curve.summary"))
if nonuniform.curve_sample(report.size) < report.size:
    st.caption(t("n.curve.sampled", sample=fmt.count(nonuniform.curve_sample(report.size),
                                                     "fmt.values"),
                 size=fmt.count(report.size, "fmt.values")))

st.subheader(t("n.hardware.title"))
st.markdown(t("n.hardware.intro"))
lut, affine = st.columns(2)
lut.markdown(t("n.hardware.lut"))
lut.code(nonuniform.LUT_CODE, language="python")
affine.markdown(t("n.hardware.affine"))
affine.code(nonuniform.AFFINE_CODE, language="python")

st.subheader(t("n.blocks.title"))
st.markdown(t("n.blocks.intro"))
blocks = layout.computed(nonuniform.block_formats, ws.key, ws.x, nonuniform.Blocks(),
                         busy=t("n.computing"), invalid=invalid)
block_names = {name: t(f"n.bf.{name}") for name in nonuniform.BLOCK_NAMES}
layout.table(lambda: ({
    t("n.col.format"): [block_names[r.name] for r in blocks],
    t("n.col.bits"): [r.bits_per_value for r in blocks],
    t("n.col.mse"): [r.mse for r in blocks],
    t("n.col.sqnr"): [r.sqnr_db for r in blocks],
    t("n.col.max_error"): [r.max_error for r in blocks],
}, {t("n.col.bits"): st.column_config.NumberColumn(format="%.3f"),
    t("n.col.sqnr"): st.column_config.NumberColumn(format="%.1f"),
    **{t(f"n.col.{c}"): st.column_config.NumberColumn(format="%.4g")
       for c in ("mse", "max_error")}}), depends_on=(ws.key, "blocks"))
layout.chart(lambda: charts.bars_with_lines(
    [block_names[r.name] for r in blocks], [r.sqnr_db for r in blocks],
    [t("n.blocks.bar", sqnr=fmt.num(r.sqnr_db, 3), bits=fmt.num(r.bits_per_value, 4))
     for r in blocks], {}, {"x": t("n.col.format"), "y": t("n.col.sqnr")},
    charts.TEXT_HOVER),
    key="n_chart_blocks", depends_on=(ws.key, "blocks"), summary=t("n.blocks.summary"))

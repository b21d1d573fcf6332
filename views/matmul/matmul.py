"""Int8 matmul: the float baseline, simulated quantization and integer-only inference of
y = x @ w.T side by side, every integer of a small product, int16 overflow, and cost."""

import streamlit as st

from lessons import matmul
from ui import charts, fmt, layout, workspace
from ui.charts import Series
from ui.charts.base import COLOR_ACCENT, COLOR_CLIP, COLOR_X
from ui.i18n import t
from views.matmul import controls

ws = workspace.current()
layout.header(t("m.title"), t("m.why"))
preset = layout.preset_and_reset(controls.preset_selector, controls.reset, t("m.reset"),
                                  t("m.reset_help"))
if preset in controls.PRESETS:
    st.markdown(t(f"m.preset.note.{preset}"))

st.subheader(t("m.inputs.title"))
settings = controls.draw()
layout.link_notices()
if settings.source == "workspace":
    st.caption(t("m.inputs.workspace"))


def invalid(reason: str) -> str:
    return t("m.invalid", reason=reason)


# The workspace tensor matters only when it is w: other sources share one cache entry.
key = ws.key if settings.source == "workspace" else None
report = layout.computed(matmul.report, key, ws.x, settings, busy=t("m.computing"),
                         invalid=invalid)
m, k, n = report.shape
drawn = (key, settings)
st.caption(t("m.inputs.shape", m=m, k=k, n=n))

st.subheader(t("m.results.title"))
st.markdown(t("m.results.intro"))
sim, integer = report.simulated, report.integer
layout.metric_grid([
    layout.Metric(t("m.metric.sqnr", path=t("m.path.simulated")), fmt.db(sim.sqnr_db),
                  t("m.metric.sqnr_help")),
    layout.Metric(t("m.metric.rel", path=t("m.path.simulated")), fmt.pct(sim.rel_error),
                  t("m.metric.rel_help")),
    layout.Metric(t("m.metric.max", path=t("m.path.simulated")), fmt.num(sim.max_error, 4),
                  t("m.metric.max_help")),
    layout.Metric(t("m.metric.cosine", path=t("m.path.simulated")), fmt.num(sim.cosine, 8),
                  t("m.metric.cosine_help")),
    layout.Metric(t("m.metric.sqnr", path=t("m.path.integer")), fmt.db(integer.sqnr_db),
                  t("m.metric.sqnr_help")),
    layout.Metric(t("m.metric.rel", path=t("m.path.integer")), fmt.pct(integer.rel_error),
                  t("m.metric.rel_help")),
    layout.Metric(t("m.metric.max", path=t("m.path.integer")), fmt.num(integer.max_error, 4),
                  t("m.metric.max_help")),
    layout.Metric(t("m.metric.cosine", path=t("m.path.integer")),
                  fmt.num(integer.cosine, 8), t("m.metric.cosine_help")),
], columns=4)
st.success(t("m.results.agree", gap=fmt.num(report.agreement, 3)), icon=":material/check:")
if report.cut:
    st.caption(t("m.heat.cut", rows=report.float_y.shape[0], columns=report.float_y.shape[1],
                 m=m, n=n))
y_hover = t("m.heat.hover")
heat_axes = (t("m.heat.x"), t("m.heat.y"))
columns = st.columns(3)
for where, name, z in zip(columns, ("float", "simulated", "integer"),
                          (report.float_y, report.simulated_y, report.integer_y), strict=True):
    with where:
        st.markdown(f"##### {t(f'm.path.{name}')}")
        layout.chart(lambda z=z: charts.signed_heatmap(
            z, *heat_axes, t("m.heat.value"), hover=y_hover, height=320, span=report.y_span),
            key=f"m_chart_y_{name}", depends_on=(name, drawn),
            summary=t(f"m.heat.summary.{name}"))
left, right = st.columns(2)
for where, name, z in ((left, "simulated", report.simulated_error),
                       (right, "integer", report.integer_error)):
    with where:
        st.markdown(f"##### {t('m.heat.error_title', path=t(f'm.path.{name}'))}")
        layout.chart(lambda z=z: charts.signed_heatmap(
            z, *heat_axes, t("m.heat.error"), hover=y_hover, height=320,
            span=report.error_span),
            key=f"m_chart_err_{name}", depends_on=("err", name, drawn),
            summary=t("m.heat.error_summary", path=t(f"m.path.{name}")))

st.subheader(t("m.hood.title"))
tiny = report.tiny
if tiny is None:
    st.info(t("m.hood.too_big", lo=f"{report.acc_range[0]:,}", hi=f"{report.acc_range[1]:,}"),
            icon=":material/zoom_in:")
else:
    st.markdown(t("m.hood.intro"))
    left, right = st.columns(2)
    with left:
        st.markdown(t("m.hood.qx", zero=tiny.zx_text))
        st.dataframe(tiny.qx, hide_index=False)
    with right:
        st.markdown(t("m.hood.qw", zero=tiny.zw_text))
        st.dataframe(tiny.qw, hide_index=False)
    st.markdown(t("m.hood.acc"))
    st.dataframe(tiny.acc, hide_index=False)
    st.markdown(t("m.hood.terms"))
    table = tiny.terms_table()
    st.dataframe({t(f"m.col.{name}"): values for name, values in table.items()},
                 hide_index=True, column_config={
                     t("m.col.scale"): st.column_config.NumberColumn(format="%.4g"),
                     t("m.col.y"): st.column_config.NumberColumn(format="%.5g")})
    for line in matmul.latex(report)[2:]:
        st.latex(line)
    st.caption(t("m.hood.requant", scale=fmt.num(tiny.out_scale, 4),
                 zero=tiny.out_zero_point))

st.subheader(t("m.overflow.title"))
st.markdown(t("m.overflow.intro"))
flow = report.overflow
layout.chart(lambda: charts.line_chart(
    [Series(t("m.overflow.exact"), flow.ks, flow.running, COLOR_X, points=flow.ks.size <= 64),
     Series(t("m.overflow.int16"), flow.ks, flow.running_int16, COLOR_CLIP, dash="dot",
            points=flow.ks.size <= 64),
     Series(t("m.overflow.limit"), *flow.limits(), COLOR_ACCENT, dash="dash", width=1.5)],
    [], t("m.overflow.x"), t("m.overflow.y"), x_step=flow.x_step),
    key="m_chart_overflow", depends_on=("overflow", drawn),
    summary=t("m.overflow.summary", row=flow.row, column=flow.column, first=flow.first_wrap)
    if flow.first_wrap else t("m.overflow.summary_never", row=flow.row, column=flow.column))
if flow.recovers:
    st.caption(t("m.overflow.recovers"))
layout.metric_grid([
    layout.Metric(t("m.overflow.wrapped"), fmt.pct(flow.wrapped_share),
                  t("m.overflow.wrapped_help")),
    layout.Metric(t("m.overflow.largest"), f"{flow.largest:,}", t("m.overflow.largest_help")),
    layout.Metric(t("m.overflow.k16"), f"{flow.int16_worst_k:,}", t("m.overflow.k_help")),
    layout.Metric(t("m.overflow.k32"), f"{flow.int32_worst_k:,}", t("m.overflow.k_help")),
], columns=4)

st.subheader(t("m.cost.title"))
cost = layout.computed(matmul.cost, key, ws.x, settings.shapes(), busy=t("m.timing"),
                       invalid=invalid)
left, right = st.columns([3, 2])
with left:
    st.markdown(t("m.cost.storage"))
    st.dataframe({t("m.col.format"): [t(f"m.format.{s.name}") for s in report.storage],
                  t("m.col.bytes"): [fmt.size(s.bytes) for s in report.storage],
                  t("m.col.ratio"): [fmt.pct(s.ratio) for s in report.storage]},
                 hide_index=True)
    st.caption(t("m.cost.storage_note"))
with right:
    layout.metric_grid([
        layout.Metric(t("m.cost.macs"), f"{cost.macs:,}", t("m.cost.macs_help")),
        layout.Metric(t("m.cost.corrections"), f"{cost.correction_ops:,}",
                      t("m.cost.corrections_help")),
    ], columns=2)
layout.metric_grid([
    layout.Metric(t("m.cost.float_time"), fmt.seconds(cost.float_s), t("m.cost.time_help")),
    layout.Metric(t("m.cost.int_time"), fmt.seconds(cost.integer_s), t("m.cost.time_help")),
    layout.Metric(t("m.cost.ratio"), t("m.cost.times", ratio=fmt.num(cost.ratio, 3)),
                  t("m.cost.ratio_help")),
], columns=3)
st.warning(t("m.cost.honest"), icon=":material/info:")


def the_maths() -> tuple:
    return (matmul.latex(report), [t("m.maths.note")],
            [layout.Code(t("m.maths.code"), matmul.CODE)])


layout.maths(controls.TABLE["m_maths"], t("m.maths.intro"), the_maths)

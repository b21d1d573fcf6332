"""Uniform quantization: affine and scale, bits, rounding, granularity; every value's fate."""

import streamlit as st

import quantlib as ql
from lessons import uniform, uniform_maths
from ui import charts, fmt, layout, workspace
from ui.i18n import t
from ui.layout import Code, Metric
from views.uniform import controls

ws = workspace.current()
layout.header(t("u.title"), t("u.why"))

preset = layout.preset_and_reset(controls.preset_selector, controls.reset, t("u.reset"),
                                  t("u.reset_help"))
settings = controls.draw(ws.x.shape)
layout.link_notices()
report = layout.computed(uniform.report, ws.key, ws.x, settings, busy=t("u.computing"),
                         invalid=lambda reason: t("u.invalid", reason=reason))

fq, m = report.focus_qparams, report.metrics

if preset != controls.NO_PRESET:
    example = ql.SEED_EXAMPLES[preset]
    if ws.preset != example.tensor_name:
        st.info(t("u.seed_other_tensor"), icon=":material/info:")
    elif example.expected_q is not None:
        got = report.table["q"][: len(example.expected_q)].tolist()
        shown = dict(seed=example.seed, expected=list(example.expected_q), got=got)
        if example.matches(got):
            st.success(t("u.seed_match", **shown), icon=":material/check_circle:")
        else:
            st.warning(t("u.seed_mismatch", **shown), icon=":material/warning:")
    st.markdown(t(f"preset.note.{preset}"))

per_tensor = report.focus is None
pairs = f"{report.num_params:,}"
ratio, smaller = report.size_change
st.subheader(t("u.numbers"))
layout.metric_grid([
    Metric(t("u.metric.scale") if per_tensor else t("u.metric.scale_focus", index=report.focus),
           fmt.num(fq.scale, 5), t("u.metric.scale_help")),
    Metric(t("u.metric.zero"), fmt.num(fq.zero_point), t("u.metric.zero_help")),
    Metric(t("u.metric.levels"), t("u.metric.levels_value", qmin=fq.qmin, qmax=fq.qmax),
           t("u.metric.levels_help")),
    Metric(t("u.metric.pairs"), pairs, t("u.metric.pairs_help",
                                          smin=fmt.num(report.scale_range[0]),
                                          smax=fmt.num(report.scale_range[1]))),
    Metric(t("u.metric.sqnr"), fmt.db(m["sqnr_db"]), t("u.metric.sqnr_help")),
    Metric(t("u.metric.mse"), fmt.num(m["mse"]), t("u.metric.mse_help")),
    Metric(t("u.metric.max_error"), fmt.num(m["max_abs_error"]), t("u.metric.max_error_help")),
    Metric(t("u.metric.clipped"), fmt.pct(m["clipped_fraction"]), t("u.metric.clipped_help")),
    Metric(t("u.metric.mae"), fmt.num(m["mae"])),
    Metric(t("u.metric.cosine"), fmt.num(m["cosine"], 6)),
    Metric(t("u.metric.bits"), fmt.num(m["bits_per_value"], 4), t("u.metric.bits_help")),
    Metric(t("u.metric.bytes"), fmt.size(m["bytes_after"]), t("u.metric.bytes_help"),
           delta=t("u.metric.smaller" if smaller else "u.metric.larger",
                   ratio=fmt.num(ratio, 3), before=fmt.size(m["bytes_before"]))),
])

if not per_tensor:
    st.info(t("u.focus_note", index=report.focus, size=fmt.count(report.focus_size, "fmt.values"),
              pairs=pairs), icon=":material/center_focus_strong:")
names = charts.labels()
half = report.half_step
drawn = (ws.key, settings)  # what every chart and table below is drawn from


@st.fragment
def histogram() -> None:
    """The histogram, with its own log-scale toggle: flipping it redraws only this block."""
    st.subheader(t("u.hist.title"))
    log_y = controls.log_toggle()
    summary = t("u.hist.summary", values=fmt.count(report.focus_size, "fmt.values"),
                lo=fmt.num(report.focus_min), hi=fmt.num(report.focus_max),
                levels=report.n_levels, step=fmt.num(fq.scale),
                clipped=fmt.pct(report.focus_clipped))
    layout.chart(lambda: charts.level_histogram(report.histogram, names, log_y=log_y),
                 key="u_chart_hist", summary=summary, depends_on=(drawn, log_y))


left, right = st.columns(2, gap="large")
with left:
    histogram()
with right:
    clip = report.level_range
    layout.chart(lambda: charts.staircase(report.staircase, names), key="u_chart_stair",
                 depends_on=drawn,
                 title=t("u.stair.title"),
                 summary=t("u.stair.summary", levels=report.n_levels, step=fmt.num(fq.scale),
                           zero=fq.zero_point, lo=fmt.num(clip[0]), hi=fmt.num(clip[1])))

left, right = st.columns(2, gap="large")
with left:
    layout.chart(lambda: charts.error_histogram(report.errors, names), key="u_chart_err",
                 depends_on=drawn,
                 title=t("u.err.title"),
                 summary=t("u.err.summary", max=fmt.num(m["max_abs_error"]), half=fmt.num(half),
                           mae=fmt.num(m["mae"])))
with right:
    layout.chart(lambda: charts.error_cloud(report.cloud, names), key="u_chart_heat",
                 depends_on=drawn,
                 title=t("u.heat.title"),
                 summary=" ".join((
                     t("u.heat.summary", half=fmt.num(half),
                       clipped=fmt.pct(m["clipped_fraction"])),
                     t("u.heat.points") if report.cloud.points is not None
                     else t("u.heat.colour"))))


@st.fragment
def step_table() -> None:
    """The step-by-step table, with its own row count: moving it redraws only this block."""
    st.subheader(t("u.table.title"))
    st.markdown(t("u.table.intro"))
    rows = controls.table_rows()
    columns = ("x", "scale", "x/s", "round", "zero_point", "+z", "q", "clipped", "x_hat",
               "error")
    layout.table(lambda: (
        {t(f"u.col.{c}"): report.table[c][:rows] for c in columns},
        {t(f"u.col.{c}"): st.column_config.NumberColumn(format="%.6g")
         for c in ("x", "scale", "x/s", "x_hat", "error")}), depends_on=(drawn, rows))


step_table()


def the_maths() -> tuple:
    """The formulas and code of "the maths", built only while the expander is open."""
    notes = [text for text, shown in ((t("u.maths.torch_symmetric"), settings.symmetric),
                                       (t("u.maths.torch_rounding"),
                                        settings.rounding != "half_even")) if shown]
    snippet = dict(s=settings, r=report, shape=ws.x.shape, degenerate=report.degenerate,
                   say=lambda key, **values: t(f"snippet.{key}", **values))
    return uniform_maths.latex(settings, report), notes, [
        Code(t("u.maths.quantlib"), uniform_maths.quantlib_code(settings)),
        Code(t("u.maths.numpy"), uniform_maths.code(uniform_maths.NUMPY, **snippet)),
        Code(t("u.maths.torch"), uniform_maths.code(uniform_maths.TORCH, **snippet)),
    ]


layout.maths(controls.TABLE["u_maths"], t("u.maths.intro"), the_maths)

"""Uniform quantization: affine and scale, bits, rounding, granularity; every value's fate."""

import streamlit as st

import quantlib as ql
from ui import cached, charts, controls, fmt, snippets, workspace
from ui.i18n import t
from ui.urlstate import choice

QP = "query-params"
NO_PRESET = controls.NO_PRESET


def _apply_preset() -> None:
    name = st.session_state.get(controls.PRESET_KEY, NO_PRESET)
    if name != NO_PRESET:
        controls.apply_preset(name)


def _reset() -> None:
    st.session_state[controls.PRESET_KEY] = NO_PRESET
    controls.apply_uniform_settings()


ws = workspace.current()
st.title(t("u.title"))
st.markdown(t("u.why"))

preset_col, reset_col = st.columns([4, 1], vertical_alignment="bottom")
with preset_col:
    preset = choice(st.selectbox, t("u.preset"), [NO_PRESET, *ql.SEED_EXAMPLES],
                    key=controls.PRESET_KEY,
                    default=NO_PRESET, on_change=_apply_preset,
                    format_func=lambda k: t(f"preset.example.{k}"), help=t("u.preset_help"))
reset_col.button(t("u.reset"), on_click=_reset, icon=":material/restart_alt:",
                 help=t("u.reset_help"), width="stretch")

settings = controls.uniform_controls(ws.x.shape)
try:
    with st.spinner(t("u.computing")):
        report = cached.uniform_report(ws.key, ws.x, settings)
except ValueError as err:
    st.error(t("u.invalid", reason=str(err)), icon=":material/error:")
    st.stop()

fq, m = report.focus_qparams, report.metrics

if preset != NO_PRESET:
    example = ql.SEED_EXAMPLES[preset]
    matches = example.matches(report.q_head)
    if not ws.key.startswith(f"preset:{example.tensor_name}:"):
        st.info(t("u.seed_other_tensor"), icon=":material/info:")
    elif matches is not None:
        shown = dict(seed=example.seed, expected=list(example.expected_q),
                     got=report.q_head[: len(example.expected_q)].tolist())
        if matches:
            st.success(t("u.seed_match", **shown), icon=":material/check_circle:")
        else:
            st.warning(t("u.seed_mismatch", **shown), icon=":material/warning:")
    st.markdown(t(f"preset.note.{preset}"))

per_tensor = report.focus is None
pairs = f"{report.qparams.num_params:,}"
st.subheader(t("u.numbers"))
scale_label = (t("u.metric.scale") if per_tensor
               else t("u.metric.scale_focus", index=report.focus))
cols = st.columns(4)
cols[0].metric(scale_label, fmt.num(fq.scale, 5), help=t("u.metric.scale_help"))
cols[1].metric(t("u.metric.zero"), fmt.num(fq.zero_point), help=t("u.metric.zero_help"))
cols[2].metric(t("u.metric.levels"), t("u.metric.levels_value", qmin=fq.qmin, qmax=fq.qmax),
               help=t("u.metric.levels_help"))
cols[3].metric(t("u.metric.pairs"), pairs,
               help=t("u.metric.pairs_help", smin=fmt.num(report.scale_min),
                      smax=fmt.num(report.scale_max)))
cols = st.columns(4)
cols[0].metric(t("u.metric.sqnr"), fmt.db(m["sqnr_db"]), help=t("u.metric.sqnr_help"))
cols[1].metric(t("u.metric.mse"), fmt.num(m["mse"]), help=t("u.metric.mse_help"))
cols[2].metric(t("u.metric.max_error"), fmt.num(m["max_abs_error"]),
               help=t("u.metric.max_error_help"))
cols[3].metric(t("u.metric.clipped"), fmt.pct(m["clipped_fraction"]),
               help=t("u.metric.clipped_help"))
cols = st.columns(4)
cols[0].metric(t("u.metric.mae"), fmt.num(m["mae"]))
cols[1].metric(t("u.metric.cosine"), fmt.num(m["cosine"], 6))
cols[2].metric(t("u.metric.bits"), fmt.num(m["bits_per_value"], 4), help=t("u.metric.bits_help"))
cols[3].metric(t("u.metric.bytes"), fmt.size(m["bytes_after"]),
               delta=t("u.metric.compression", ratio=fmt.num(m["compression"], 3),
                       before=fmt.size(m["bytes_before"])),
               delta_color="off", delta_arrow="off", help=t("u.metric.bytes_help"))

clip = report.level_range
if not per_tensor:
    st.info(t("u.focus_note", index=report.focus, size=f"{report.focus_size:,}", pairs=pairs),
            icon=":material/center_focus_strong:")
left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("u.hist.title"))
    log_y = st.toggle(t("u.log"), False, key="u_log", bind=QP, help=t("u.log_help"))
    summary = t("u.hist.summary", n=f"{report.focus_size:,}", lo=fmt.num(report.focus_min),
                hi=fmt.num(report.focus_max), levels=report.n_levels,
                step=fmt.num(fq.scale), clipped=fmt.pct(report.focus_clipped))
    st.plotly_chart(charts.histogram_with_levels(report.hist_edges, report.hist_x,
                                                 report.hist_x_hat, report.levels, clip,
                                                 log_y=log_y),
                    alt=summary, key="u_chart_hist")
    st.caption(summary)
with right:
    st.subheader(t("u.stair.title"))
    summary = t("u.stair.summary", levels=report.n_levels, step=fmt.num(fq.scale),
                zero=fq.zero_point, lo=fmt.num(clip[0]), hi=fmt.num(clip[1]))
    st.plotly_chart(charts.staircase(report.stair_x, report.stair_q, report.stair_x_hat,
                                     fq.scale, fq.zero_point, clip),
                    alt=summary, key="u_chart_stair")
    st.caption(summary)

left, right = st.columns(2, gap="large")
half = report.half_step
with left:
    st.subheader(t("u.err.title"))
    summary = t("u.err.summary", max=fmt.num(m["max_abs_error"]), half=fmt.num(half),
                mae=fmt.num(m["mae"]))
    st.plotly_chart(charts.error_histogram(report.error_edges, report.error_counts, half),
                    alt=summary, key="u_chart_err")
    st.caption(summary)
with right:
    st.subheader(t("u.heat.title"))
    summary = " ".join((
        t("u.heat.summary", half=fmt.num(half), clipped=fmt.pct(m["clipped_fraction"])),
        t("u.heat.colour") if report.error_points is None else t("u.heat.points")))
    st.plotly_chart(charts.error_vs_x(report.heat_counts, report.heat_x_edges,
                                      report.heat_error_edges, half if per_tensor else None,
                                      clip if per_tensor else None, report.error_points),
                    alt=summary, key="u_chart_heat")
    st.caption(summary)

st.subheader(t("u.table.title"))
st.markdown(t("u.table.intro"))
rows = st.slider(t("u.table.rows"), 1, controls.MAX_TABLE_ROWS, 8, key="u_rows", bind=QP)
columns = ("x", "scale", "x/s", "round", "zero_point", "+z", "q", "clipped", "x_hat", "error")
st.dataframe({t(f"u.col.{c}"): report.table[c][:rows] for c in columns}, hide_index=True,
             width="stretch",
             column_config={t(f"u.col.{c}"): st.column_config.NumberColumn(format="%.6g")
                            for c in ("x", "scale", "x/s", "x_hat", "error")})

with st.expander(t("u.maths.title"), icon=":material/function:"):
    st.markdown(t("u.maths.intro"))
    for line in snippets.uniform_latex(settings, report):
        st.latex(line)
    if settings.symmetric:
        st.info(t("u.maths.torch_symmetric"), icon=":material/info:")
    if settings.rounding != "half_even":
        st.info(t("u.maths.torch_rounding"), icon=":material/info:")
    st.markdown(t("u.maths.quantlib"))
    st.code(snippets.quantlib_code(settings), language="python")
    st.markdown(t("u.maths.numpy"))
    st.code(snippets.numpy_code(settings, report), language="python")
    st.markdown(t("u.maths.torch"))
    st.code(snippets.torch_code(settings, report), language="python")

"""Granularity & outliers: outliers break one shared scale; per-row, per-column and
per-group scales, clipping, LLM.int8() and SmoothQuant fix it, measured on y = x @ w.T."""

import streamlit as st

from lessons import granularity
from lessons.granularity import FIXES
from ui import charts, fmt, layout, workspace
from ui.charts import Marker, Series
from ui.charts.base import COLOR_ACCENT, COLOR_CLIP, COLOR_X, COLOR_X_HAT
from ui.i18n import t
from views.granularity import controls

CHANNEL_HOVER = "%{x}: %{y:.4g}<extra>%{fullData.name}</extra>"

ws = workspace.current()
layout.header(t("g.title"), t("g.why"))

preset = layout.preset_and_reset(controls.preset_selector, controls.reset, t("g.reset"),
                                  t("g.reset_help"))
if preset in controls.PRESETS:
    st.markdown(t(f"g.preset.note.{preset}"))

# The outlier controls and the bits change every section: a full rerun. The granularity
# controls and the fixes' controls each rerun only their own section (a fragment).
st.subheader(t("g.problem.title"))
settings = controls.draw_outliers()
layout.link_notices()


def invalid(reason: str) -> str:
    return t("g.invalid", reason=reason)


view = layout.computed(granularity.granular, ws.key, ws.x, settings.view(),
                       busy=t("g.computing"), invalid=invalid)
channel_axis = t("g.axis.column")

absmax = view.column_absmax
layout.chart(lambda: charts.line_chart(
    [Series(t("g.series.absmax"), absmax.index, absmax.series["absmax"], COLOR_X),
     Series(t("g.series.injected"), absmax.index, absmax.series["outlier"], COLOR_CLIP,
            points=True)],
    [], channel_axis, t("g.axis.absmax"), log_y=True, hover=CHANNEL_HOVER),
    key="g_chart_absmax", depends_on=("absmax", ws.key, settings.build()),
    summary=t("g.problem.summary", columns=view.shape[1],
              injected=fmt.count(view.injected, "g.columns")))
if absmax.bucket > 1:
    st.caption(t("g.pooled", bucket=absmax.bucket))
layout.metric_grid([
    layout.Metric(t("g.m.scale_one"), fmt.num(view.scale_tensor, 4), t("g.m.scale_one_help")),
    layout.Metric(t("g.m.collapsed_one"), fmt.pct(view.collapsed_tensor),
                  t("g.m.collapsed_help")),
    layout.Metric(t("g.m.sqnr_one"), fmt.db(view.sqnr_db_tensor), t("g.m.sqnr_help")),
], columns=3)


@st.fragment
def granularity_section() -> None:
    """Per tensor, row, column or group: its controls rerun only this section."""
    st.subheader(t("g.gran.title"))
    st.markdown(t("g.gran.intro"))
    chosen = controls.draw_granularity(settings)
    view = layout.computed(granularity.granular, ws.key, ws.x, chosen.view(),
                           busy=t("g.computing"), invalid=invalid)
    drawn = (ws.key, chosen.view())
    gran_name = t(f"g.gran.{view.granularity}")
    layout.metric_grid([
        layout.Metric(t("g.m.scales"), fmt.count(view.scale_count, "g.scales"),
                      t("g.m.scales_help")),
        layout.Metric(t("g.m.collapsed", name=gran_name), fmt.pct(view.collapsed),
                      t("g.m.collapsed_help"), delta=fmt.pct(view.collapsed_tensor)),
        layout.Metric(t("g.m.sqnr", name=gran_name), fmt.db(view.sqnr_db), t("g.m.sqnr_help"),
                      delta=fmt.db(view.sqnr_db_tensor)),
    ], columns=3)
    st.caption(t("g.m.delta_note"))
    heat = view.scales
    layout.chart(lambda: charts.log_heatmap(
        heat, [[t("g.heat.hover", row=r, column=c, scale=fmt.num(v, 4))
                for c, v in enumerate(row)] for r, row in enumerate(heat)],
        t(f"g.heat.x.{view.granularity}"), t(f"g.heat.y.{view.granularity}"),
        t("g.heat.color")),
        key="g_chart_scales", depends_on=("scales", drawn),
        summary=t("g.heat.summary", count=fmt.count(view.scale_count, "g.scales"),
                  name=gran_name, rows=view.scales_shape[0], columns=view.scales_shape[1]))
    if heat.shape != view.scales_shape:
        st.caption(t("g.heat.cut", rows=heat.shape[0], columns=heat.shape[1],
                     all_rows=view.scales_shape[0], all_columns=view.scales_shape[1]))
    st.markdown(t("g.error.intro"))
    left, right = st.columns(2)
    for where, errors, axis, key in ((left, view.row_error, "row", "g_chart_row_error"),
                                     (right, view.column_error, "column",
                                      "g_chart_column_error")):
        with where:
            st.markdown(f"##### {t(f'g.error.title.{axis}')}")
            layout.chart(lambda errors=errors, axis=axis: charts.line_chart(
                [Series(t("g.series.one"), errors.index, errors.series["one"], COLOR_CLIP,
                        points=errors.few),
                 Series(gran_name, errors.index, errors.series["chosen"], COLOR_X,
                        points=errors.few)],
                [], t(f"g.axis.{axis}"), t("g.axis.rel_error"), hover=CHANNEL_HOVER,
                x_step=errors.step),
                key=key, depends_on=(key, drawn),
                summary=t(f"g.error.summary.{axis}", name=gran_name))
            if errors.bucket > 1:
                st.caption(t("g.pooled", bucket=errors.bucket))
    if view.codes is not None:
        st.markdown(t("g.codes.intro"))
        layout.table(lambda: ({
            t("g.col.index"): list(range(len(view.values))),
            t("g.col.x"): [fmt.num(v, 4) for v in view.values],
            t("g.col.q_one"): view.codes_tensor,
            t("g.col.q_chosen", name=gran_name): view.codes,
        }, {}), depends_on=("codes", drawn))


granularity_section()


@st.fragment
def fixes_section() -> None:
    """The four fixes of y = x @ w.T: their controls rerun only this section."""
    st.subheader(t("g.fixes.title"))
    st.markdown(t("g.fixes.intro"))
    chosen = controls.draw_fixes(settings)
    fixed = layout.computed(granularity.fixes, ws.key, ws.x, chosen.fixes(),
                            busy=t("g.computing_fixes"), invalid=invalid)
    curve = layout.computed(granularity.alpha_curve, ws.key, ws.x, chosen.curve(),
                            busy=t("g.computing_fixes"), invalid=invalid)
    fixes_drawn = (ws.key, chosen.fixes())
    names = {name: t(f"g.fix.{name}") for name in FIXES}
    st.caption(t("g.fixes.shape", tokens=fixed.shape[0], features=fixed.shape[1],
                 out=fixed.out_features, bits=chosen.bits))
    if fixed.shape[0] < fixed.tokens:
        st.caption(t("g.fixes.batch", batch=fixed.shape[0], tokens=fixed.tokens))
    if fixed.measured_out < fixed.out_features:
        st.caption(t("g.fixes.sampled", measured=fixed.measured_out, out=fixed.out_features))
    rows = fixed.fixes
    layout.table(lambda: ({
        t("g.col.fix"): [names[f.name] for f in rows],
        t("g.col.how"): [t(f"g.how.{f.name}") for f in rows],
        t("g.col.rel"): [f.rel_error_pct for f in rows],
        t("g.col.sqnr"): [f.sqnr_db for f in rows],
        t("g.col.cosine"): [f.cosine for f in rows],
    }, {t("g.col.rel"): st.column_config.NumberColumn(format="%.3g"),
        t("g.col.sqnr"): st.column_config.NumberColumn(format="%.1f"),
        t("g.col.cosine"): st.column_config.NumberColumn(format="%.6f")}),
        depends_on=("fixes", fixes_drawn))
    base_sqnr = fixed.fix("per_tensor").sqnr_db
    layout.chart(lambda: charts.bars_with_lines(
        [names[f.name] for f in rows], list(fixed.bar_heights()),
        [fmt.db(f.sqnr_db) for f in rows], {t("g.fixes.baseline"): base_sqnr},
        {"x": t("g.col.fix"), "y": t("g.col.sqnr")}, charts.TEXT_HOVER),
        key="g_chart_fixes", depends_on=("fix_bars", fixes_drawn),
        summary=t("g.fixes.summary", best=names[max(rows, key=lambda f: f.sqnr_db).name],
                  base=fmt.db(base_sqnr)))
    clip = fixed.fix("clipping")
    st.markdown(t("g.clip.result", method=t(f"g.clip.{chosen.clip}"),
                  lo=fmt.num(fixed.clip_range[0], 4), hi=fmt.num(fixed.clip_range[1], 4),
                  amax=fmt.num(fixed.minmax_range[1], 4), share=fmt.pct(fixed.clipped_share),
                  sqnr=fmt.db(clip.sqnr_db), base=fmt.db(base_sqnr)))
    st.info(t("g.clip.lesson"), icon=":material/content_cut:")

    st.markdown(f"#### {t('g.llm.title')}")
    st.markdown(t("g.llm.intro"))
    cols = fixed.column_absmax
    layout.chart(lambda: charts.line_chart(
        [Series(t("g.series.absmax"), cols.index, cols.series["absmax"], COLOR_X),
         Series(t("g.series.float"), cols.index, cols.series["float"], COLOR_CLIP, points=True),
         Series(t("g.series.threshold"), [cols.index[0], cols.index[-1]],
                [fixed.threshold, fixed.threshold], COLOR_ACCENT, dash="dash")],
        [], channel_axis, t("g.axis.absmax"), log_y=True, hover=CHANNEL_HOVER),
        key="g_chart_llm",
        depends_on=("llm", ws.key, chosen.build(), chosen.threshold, chosen.out_features),
        summary=t("g.llm.summary", count=fmt.count(fixed.llm_columns.size, "g.columns"),
                  columns=fixed.shape[1], threshold=fmt.num(fixed.threshold)))
    st.markdown(t("g.llm.result", count=fmt.count(fixed.llm_columns.size, "g.columns"),
                  columns=fixed.float_columns() or t("g.llm.no_columns"),
                  share=fmt.pct(fixed.float_share),
                  sqnr=fmt.db(fixed.fix("llm_int8").sqnr_db)))

    st.markdown(f"#### {t('g.smooth.title')}")
    st.markdown(t("g.smooth.intro"))
    mig = fixed.migration
    layout.chart(lambda: charts.line_chart(
        [Series(t("g.series.x_before"), mig.index, mig.series["x_before"], COLOR_X,
                dash="dot"),
         Series(t("g.series.w_before"), mig.index, mig.series["w_before"], COLOR_X_HAT,
                dash="dot"),
         Series(t("g.series.x_after"), mig.index, mig.series["x_after"], COLOR_X),
         Series(t("g.series.w_after"), mig.index, mig.series["w_after"], COLOR_X_HAT)],
        [], channel_axis, t("g.axis.absmax"), log_y=True, hover=CHANNEL_HOVER),
        key="g_chart_migration",
        depends_on=("migration", ws.key, chosen.curve(), chosen.alpha),
        summary=t("g.smooth.summary", alpha=fmt.num(chosen.alpha),
                  x_before=fmt.num(fixed.absmax_x[0], 4), x_after=fmt.num(fixed.absmax_x[1], 4),
                  w_before=fmt.num(fixed.absmax_w[0], 4), w_after=fmt.num(fixed.absmax_w[1], 4)))
    if mig.bucket > 1:
        st.caption(t("g.pooled", bucket=mig.bucket))
    st.markdown(f"##### {t('g.curve.title')}")
    layout.chart(lambda: charts.line_chart(
        [Series(t("g.series.smooth"), curve.alphas, curve.sqnr_db, COLOR_X, points=True),
         Series(t("g.fixes.baseline"), [0.0, 1.0], [base_sqnr, base_sqnr], COLOR_CLIP,
                dash="dot")],
        [Marker(t("g.curve.marker", alpha=fmt.num(chosen.alpha)), (chosen.alpha,),
                COLOR_ACCENT)],
        t("g.alpha"), t("g.col.sqnr"), hover=t("g.curve.hover")),
        key="g_chart_alpha", depends_on=("alpha", ws.key, chosen.curve(), chosen.alpha),
        summary=t("g.curve.summary", best=fmt.num(curve.best),
                  sqnr=fmt.db(curve.best_sqnr)))
    if curve.sampled:
        st.caption(t("g.curve.sampled", rows=curve.rows, out=curve.out_features))

    def the_maths() -> tuple:
        return (granularity.latex(view, fixed, chosen.bits), [t("g.maths.note")],
                [layout.Code(t("g.maths.code"), granularity.CODE)])

    layout.maths(controls.TABLE["g_maths"], t("g.maths.intro"), the_maths)


fixes_section()

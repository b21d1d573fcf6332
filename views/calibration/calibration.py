"""Calibration: min-max, percentile, entropy (KL) and MSE ranges on one tensor, the
clipping-versus-rounding trade-off, and observers fed batch by batch."""

import time

import streamlit as st

from lessons import calibration, calibration_maths
from lessons.calibration import EXAMPLES, METHODS, OBSERVERS
from ui import cache, charts, fmt, layout, workspace
from ui.charts import Marker, Series
from ui.i18n import t
from views.calibration import controls

COLORS = dict(zip(METHODS, charts.PALETTE[:len(METHODS)], strict=True))
DASHES = dict(zip(METHODS, ("solid", "dash", "dot", "dashdot"), strict=True))
OBSERVER_COLORS = dict(zip(OBSERVERS, (charts.PALETTE[0], charts.PALETTE[1], charts.PALETTE[3]),
                           strict=True))

ws = workspace.current()
layout.header(t("c.title"), t("c.why"))

preset = layout.preset_and_reset(controls.preset_selector, controls.reset, t("c.reset"),
                                  t("c.reset_help"))
chosen, settings = controls.draw()
layout.link_notices()
if not chosen:
    st.info(t("c.none_chosen"), icon=":material/checklist:")
report = layout.computed(calibration.report, ws.key, ws.x, settings, busy=t("c.computing"),
                         invalid=lambda reason: t("c.invalid", reason=reason))

results = report.chosen(chosen)
names = {m: t(f"c.method.{m}") for m in METHODS}

if preset in EXAMPLES:
    example = EXAMPLES[preset]
    if ws.preset != example.tensor_name:
        st.info(t("c.seed_other_tensor"), icon=":material/info:")
    else:
        for method, expected in example.expected_q.items():
            got = (report.codes or {}).get(method)
            shown = dict(seed=example.seed, method=names[method], expected=list(expected),
                         got=got)
            if got == list(expected):
                st.success(t("c.seed_match", **shown), icon=":material/check_circle:")
            else:
                st.warning(t("c.seed_mismatch", **shown), icon=":material/warning:")
        for method, (lo, hi) in example.expected_range.items():
            r = report.result(method)
            st.success(t("c.seed_range", seed=example.seed, method=names[method],
                         lo=fmt.num(lo), hi=fmt.num(hi), got_lo=fmt.num(r.lo),
                         got_hi=fmt.num(r.hi)), icon=":material/check_circle:")
    st.markdown(t(f"c.preset.note.{preset}"))
elif preset == controls.OUTLIER_PRESET:
    st.markdown(t("c.preset.note.laplace_outliers"))

if report.constant:
    st.info(t("c.constant", value=fmt.num(report.x_min)), icon=":material/info:")

st.subheader(t("c.table.title"))
st.markdown(t("c.table.intro", size=fmt.count(report.size, "fmt.values"), bits=settings.bits))
drawn = (ws.key, settings)
if results:
    def method_table() -> tuple[dict, dict]:
        columns = report.table(chosen)
        columns["method"] = [names[m] for m in columns["method"]]
        columns["clipped"] = [fmt.pct(v) for v in columns["clipped"]]
        return {t(f"c.col.{c}"): columns[c] for c in calibration.TABLE_COLUMNS}, {
            **{t(f"c.col.{c}"): st.column_config.NumberColumn(format="%.4g")
            for c in ("lo", "hi", "scale", "mse", "clip_mse", "round_mse")},
            t("c.col.sqnr_db"): st.column_config.NumberColumn(format="%.1f")}

    layout.table(method_table, depends_on=(drawn, chosen))
    best = report.best(chosen)
    st.caption(t("c.table.best", method=names[best.method], mse=fmt.num(best.mse)))


def range_markers(both_ends: bool = True) -> list[Marker]:
    """Each chosen method's range as two vertical lines (its high end only when not
    ``both_ends``), in the method's colour."""
    return [Marker(names[r.method], (r.lo, r.hi) if both_ends else (r.hi,), COLORS[r.method],
                   DASHES[r.method]) for r in results]


chart_names = charts.labels()


@st.fragment
def histogram() -> None:
    """The histogram with every range, and its own log-count toggle."""
    st.subheader(t("c.hist.title"))
    log_y = controls.log_toggle()
    summary = t("c.hist.summary", values=fmt.count(report.size, "fmt.values"),
                lo=fmt.num(report.x_min), hi=fmt.num(report.x_max),
                ranges="; ".join(f"{names[r.method]} [{fmt.num(r.lo)}, {fmt.num(r.hi)}]"
                                 for r in results) or "—")
    layout.chart(lambda: charts.marked_histogram(report.edges, report.counts, range_markers(),
                                                 chart_names, log_y=log_y),
                 key="c_chart_hist", summary=summary, depends_on=(drawn, chosen, log_y))


histogram()

curve = report.curve
st.subheader(t("c.curve.title"))
st.markdown(t("c.curve.intro_symmetric") if curve.symmetric else t("c.curve.intro_asymmetric"))
layout.chart(lambda: charts.line_chart(
    [Series(t("c.curve.total"), curve.x, curve.mse, charts.PALETTE[6], width=3.5),
     Series(t("c.curve.clip"), curve.x, curve.clip_mse, charts.PALETTE[0], dash="dot"),
     Series(t("c.curve.round"), curve.x, curve.round_mse, charts.PALETTE[2], dash="dot")],
    range_markers(both_ends=not curve.symmetric),
    t("c.curve.x_symmetric") if curve.symmetric else t("c.curve.x_asymmetric"),
    t("c.curve.y"), log_y=True),
    key="c_chart_curve", depends_on=(drawn, chosen),
    summary=t("c.curve.summary", x=fmt.num(curve.lowest[0]), mse=fmt.num(curve.lowest[1]),
              picks="; ".join(
        f"{names[r.method]} {fmt.num(r.mse)}" for r in results) or "—"))

if report.codes is not None and results:
    st.subheader(t("c.codes.title"))
    st.markdown(t("c.codes.intro"))
    layout.table(lambda: ({t("c.codes.x"): report.values,
                           **{names[r.method]: report.codes[r.method] for r in results}}, {}),
                 depends_on=(drawn, chosen, "codes"))

kl = report.kl
if "entropy" in chosen and kl is not None:
    st.subheader(t("c.kl.title"))
    st.markdown(t("c.kl.intro", levels=kl.levels, bins=settings.bins))
    left, right = st.columns(2, gap="large")
    with left:
        layout.chart(lambda: charts.line_chart(
            # Points too: between impossible thresholds a finite KL can stand alone.
            [Series(t("c.kl.curve"), kl.thresholds, kl.divergences, COLORS["entropy"],
                    points=True)],
            [Marker(t("c.kl.pick"), (kl.threshold,), COLORS["entropy"], "dash")],
            t("c.kl.x"), t("c.kl.y"), log_y=True),
            key="c_chart_kl", depends_on=drawn,
            summary=t("c.kl.summary", threshold=fmt.num(kl.threshold),
                      kl=fmt.num(kl.divergence), bins=kl.kept_bins))
    with right:
        layout.chart(lambda: charts.line_chart(
            [Series("P", kl.centers, kl.p, charts.PALETTE[6], shape="hv"),
             Series("Q", kl.centers, kl.q, COLORS["entropy"], shape="hv", dash="dot")],
            [], t("c.kl.pq_x"), t("c.kl.pq_y"), log_y=True),
            key="c_chart_pq", depends_on=drawn,
            summary=t("c.kl.pq_summary", threshold=fmt.num(kl.threshold)))
elif "entropy" in chosen:
    st.info(t("c.kl.zero"), icon=":material/info:")


@st.fragment
def batches() -> None:
    """Observers fed the tensor batch by batch; their controls rerun only this block."""
    st.subheader(t("c.batch.title"))
    st.markdown(t("c.batch.intro"))
    batch_settings, step = controls.draw_batches(settings, report.size)
    view = cache.lesson(calibration.batches, ws.key, ws.x, batch_settings)
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button(t("c.batch.next"), on_click=controls.next_batch, args=(view.count,),
              icon=":material/skip_next:", width="stretch")
    # The click sets the last step before this block reruns; the run then animates to it.
    play = b2.button(t("c.batch.play"), on_click=controls.all_batches, args=(view.count,),
                     icon=":material/play_arrow:", width="stretch")
    frame = st.empty()
    steps, pause = view.frames(step, play)
    for k in steps:
        with frame.container():
            batch_chart(view, k, batch_settings)
        time.sleep(pause)


def batch_chart(view: calibration.BatchView, k: int,
                batch_settings: calibration.BatchSettings) -> None:
    """Each observer's range after batches 1..k (low and high end), as steps."""
    index, ranges, fed = view.after(k)
    series = []
    for o, width in zip(OBSERVERS, (6, 3.5, 2), strict=True):  # wide under narrow: all visible
        name = t(f"c.batch.{o}", c=batch_settings.averaging_constant,
                 p=batch_settings.percentile)
        for column, end, dash in ((1, "hi", "solid"), (0, "lo", "dot")):
            series.append(Series(t(f"c.batch.{end}", name=name), index,
                                 ranges[o][:, column], OBSERVER_COLORS[o], dash=dash,
                                 width=width, shape="hv", points=True))
    (lo, hi), (mlo, mhi) = ranges["minmax"][-1], ranges["moving"][-1]
    x_range, y_range = view.axes
    layout.chart(lambda: charts.line_chart(series, [], t("c.batch.x"), t("c.batch.y"),
                                           x_range=x_range, y_range=y_range, x_step=1),
                 key=f"c_chart_batch_{k}", depends_on=(ws.key, batch_settings, k),
                 summary=t("c.batch.summary", k=k, count=view.count,
                           values=fmt.count(fed, "fmt.values"), lo=fmt.num(lo),
                           hi=fmt.num(hi), mlo=fmt.num(mlo), mhi=fmt.num(mhi)))


batches()


def the_maths() -> tuple:
    """The formulas of every method with this tensor's numbers (built only while open)."""
    say = lambda key: t(f"c.maths.word.{key}")  # noqa: E731
    return calibration_maths.latex(report, settings, say), [t("c.maths.tensorrt")], []


layout.maths(controls.TABLE["c_maths"], t("c.maths.intro"), the_maths)

"""Home: what quantization is, why it matters (model memory), and the learning path."""

import streamlit as st

import views
from lessons import home
from ui import charts, fmt, layout
from ui.i18n import t
from views.home import controls

layout.header(t("home.title"), t("home.intro"))
st.markdown(t("home.why"))

st.header(t("home.memory.title"))
st.markdown(t("home.memory.why"))
left, right = st.columns([2, 3], gap="large")
with left:
    settings = controls.draw()
    report = home.report(settings)
    layout.link_notices()
    yours = t("home.memory.your_bits")
    rows = [*report.rows, (yours, *report.yours)]
    st.dataframe(
        {t("home.memory.col_format"): [r[0] for r in rows],
         t("home.memory.col_bits"): [fmt.num(r[1], 3) for r in rows],
         t("home.memory.col_gb"): [fmt.num(r[2], 4) for r in rows]},
        hide_index=True, width="stretch",
        column_config={t("home.memory.col_bits"): st.column_config.TextColumn(width="small"),
                       t("home.memory.col_gb"): st.column_config.TextColumn(width="small")},
    )
    if settings.model != home.CUSTOM:
        st.caption(t("home.memory.seed_note", name=settings.model,
                     gb=fmt.num(report.gb("FP16 / BF16"), 4)))
with right:
    summary = t("home.memory.summary", fp32=fmt.num(report.gb("FP32"), 4),
                fp16=fmt.num(report.gb("FP16 / BF16"), 4), int4=fmt.num(report.gb("INT4"), 4))
    layout.chart(lambda: charts.bars_with_lines(
        [r[0] for r in rows], [r[2] for r in rows], [f"{fmt.num(r[2], 3)} GB" for r in rows],
        {t(f"gpu.{name}"): size for name, size in home.GPU_MEMORY_GB.items()},
        {"x": charts.labels()["format"], "y": charts.labels()["gb"]},
        "%{x}: %{y:,.4g} GB<extra></extra>"), key="home_memory", summary=summary,
        depends_on=settings)

st.header(t("home.path.title"))
st.markdown(t("home.path.intro"))
for number, page in enumerate(views.PAGES[1:], start=1):
    title = t("home.path.item", number=number, title=t(f"nav.{page.key}"))
    with st.container(border=True):
        if page.path:
            st.page_link(page.path, label=title, icon=page.icon)
        else:
            st.markdown(f"{title} &nbsp; :gray-badge[{t('home.coming')}]")
        st.caption(t(f"path.{page.key}"))

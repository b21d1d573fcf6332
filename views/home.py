"""Home: what quantization is, why it matters (model memory), and the learning path."""

import streamlit as st

import quantlib as ql
from ui import charts, fmt, nav
from ui.i18n import t
from ui.urlstate import choice

QP = "query-params"
CUSTOM = "custom"
GPUS = {"gpu.consumer": 24, "gpu.datacenter": 80}

st.title(t("home.title"))
st.markdown(t("home.intro"))
st.markdown(t("home.why"))

st.header(t("home.memory.title"))
st.markdown(t("home.memory.why"))
left, right = st.columns([2, 3], gap="large")
with left:
    model = choice(st.selectbox, t("home.memory.model"), [*ql.MODEL_SIZES, CUSTOM],
                   key="h_model", default="GPT-3",
                   format_func=lambda m: t("home.memory.custom") if m == CUSTOM
                   else t("home.memory.model_option", name=m, size=ql.MODEL_SIZES[m]))
    if model == CUSTOM:
        billions = st.number_input(t("home.memory.params"), 0.001, 100000.0, 7.0, key="h_params",
                                   bind=QP, format="%g", help=t("home.memory.params_help"))
    else:
        billions = ql.MODEL_SIZES[model]
    bits = st.number_input(t("home.memory.bits"), 1.0, 64.0, 3.0, 0.5, key="h_bits", bind=QP,
                           format="%g", help=t("home.memory.bits_help"))
    rows = ql.memory_table(billions, {**ql.STORAGE_FORMATS, t("home.memory.your_bits"): bits})
    gb = {name: size for name, _, size in rows}
    st.dataframe(
        {t("home.memory.col_format"): [r[0] for r in rows],
         t("home.memory.col_bits"): [fmt.num(r[1], 3) for r in rows],
         t("home.memory.col_gb"): [fmt.num(r[2], 4) for r in rows]},
        hide_index=True, width="stretch",
        column_config={t("home.memory.col_bits"): st.column_config.TextColumn(width="small"),
                       t("home.memory.col_gb"): st.column_config.TextColumn(width="small")},
    )
    if model != CUSTOM:
        st.caption(t("home.memory.seed_note", name=model, gb=fmt.num(gb["FP16 / BF16"], 4)))
with right:
    gpus = {t(k): v for k, v in GPUS.items()}
    summary = t("home.memory.summary", fp32=fmt.num(gb["FP32"], 4),
                fp16=fmt.num(gb["FP16 / BF16"], 4), int4=fmt.num(gb["INT4"], 4))
    st.plotly_chart(charts.memory_bars([r[0] for r in rows], [r[2] for r in rows], gpus),
                    alt=summary, key="home_memory")
    st.caption(summary)

st.header(t("home.path.title"))
st.markdown(t("home.path.intro"))
for number, page in enumerate(nav.PAGES[1:], start=1):
    title = t("home.path.item", number=number, title=t(f"nav.{page.key}"))
    with st.container(border=True):
        if page.path:
            st.page_link(page.path, label=title, icon=page.icon)
        else:
            st.markdown(f"{title} &nbsp; :gray-badge[{t('home.coming')}]")
        st.caption(t(f"path.{page.key}"))

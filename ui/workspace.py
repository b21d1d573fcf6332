"""The tensor workspace: the sidebar where a student picks the tensor every page works on.

A tensor comes from a seed preset, a seeded generator or an upload. Caches are keyed by
the workspace *spec* (generator parameters and seed, preset name, or the upload's
sha256), never by hashing a large array, so a cache can never return the wrong tensor.
A failed upload or a bad setting shows a message and keeps the previous tensor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

import quantlib as ql
from quantlib.tensors import LoadText

from . import fmt
from .i18n import DEFAULT_LANGUAGE, catalogue, t
from .urlstate import choice

SOURCES = ("generate", "preset", "upload")
QP = "query-params"
DEFAULTS = {
    "ws_source": "generate", "ws_kind": "normal", "ws_rows": 64, "ws_cols": 256, "ws_seed": 0,
    "ws_scale": 1.0, "ws_outliers": 0, "ws_outlier_scale": 20.0,
    "ws_preset": "seed002_vector", "ws_nan": "replace",
}
MAX_DIM = ql.MAX_ELEMENTS
_LAST = "_ws_last"
_UPLOAD = "_ws_upload"
_UPLOAD_ID = "_ws_upload_id"
_UPLOAD_ERROR = "_ws_upload_error"
_CURRENT = "_ws_current"


@dataclass(frozen=True, eq=False)
class Workspace:
    """The current tensor and what identifies it."""

    key: str
    label: str
    x: np.ndarray
    summary: dict
    source: str


def _read_only(x: np.ndarray) -> np.ndarray:
    # Cached arrays are shared by every session: nobody may write into them.
    x.flags.writeable = False
    return x


@st.cache_resource(max_entries=8, show_spinner=False)
def _generated(kind: str, shape: tuple[int, ...], seed: int, scale: float, outliers: int,
               outlier_scale: float, params: tuple) -> np.ndarray:
    return _read_only(ql.generate(kind, shape, seed=seed, scale=scale, outliers=outliers,
                                  outlier_scale=outlier_scale, **dict(params)))


@st.cache_resource(max_entries=8, show_spinner=False)
def _uploaded(sha256: str, filename: str, _data: bytes) -> dict[str, np.ndarray]:
    return {name: _read_only(arr) for name, arr in ql.load_tensors(_data, filename).items()}


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(key: str, _raw: np.ndarray) -> dict:
    return ql.summarize(_raw)


def _nonfinite(summary: dict) -> int:
    return summary["nan_count"] + summary["posinf_count"] + summary["neginf_count"]


@st.cache_resource(max_entries=16, show_spinner=False)
def _prepared(key: str, policy: str, _raw: np.ndarray) -> np.ndarray:
    if not _nonfinite(_summary(key, _raw)):
        return _raw
    return _read_only(np.ascontiguousarray(ql.clean_nonfinite(_raw, policy)))


def current() -> Workspace:
    """The workspace that ``sidebar()`` built in this run."""
    return st.session_state[_CURRENT]


def _reset() -> None:
    for key, value in DEFAULTS.items():
        st.session_state[key] = value
    for key in (_UPLOAD, _UPLOAD_ID, _UPLOAD_ERROR):
        st.session_state.pop(key, None)


def _generator_spec() -> tuple[np.ndarray, str, str]:
    kind = choice(st.selectbox, t("ws.kind"), ql.GENERATORS, key="ws_kind",
                  default=DEFAULTS["ws_kind"], format_func=lambda k: t(f"gen.kind.{k}"))
    st.caption(t(f"gen.help.{kind}"))
    left, right = st.columns(2)
    rows = left.number_input(t("ws.rows"), 1, MAX_DIM, DEFAULTS["ws_rows"], 1, key="ws_rows",
                             bind=QP)
    cols = right.number_input(t("ws.cols"), 1, MAX_DIM, DEFAULTS["ws_cols"], 1, key="ws_cols",
                              bind=QP)
    seed = left.number_input(t("ws.seed"), 0, 2**31 - 1, DEFAULTS["ws_seed"], 1, key="ws_seed",
                             bind=QP)
    scale = right.number_input(t("ws.scale"), 1e-6, 1e6, DEFAULTS["ws_scale"], key="ws_scale",
                               bind=QP,
                               format="%g", help=t("ws.scale_help"))
    outliers = left.number_input(t("ws.outliers"), 0, MAX_DIM, DEFAULTS["ws_outliers"], 1,
                                 key="ws_outliers", bind=QP, help=t("ws.outliers_help"))
    outlier_scale = right.number_input(t("ws.outlier_scale"), 0.0, 1e6,
                                       DEFAULTS["ws_outlier_scale"], key="ws_outlier_scale",
                                       bind=QP, format="%g", help=t("ws.outlier_scale_help"))
    params = []
    for name, default in ql.GENERATORS[kind].items():
        widget_key = f"ws_{kind}_{name}"
        if isinstance(default, int):
            value = st.number_input(t(f"gen.param.{name}"), 0, 2**20, default, 1,
                                    key=widget_key, bind=QP)
        else:
            value = st.number_input(t(f"gen.param.{name}"), value=float(default),
                                    key=widget_key, bind=QP, format="%g")
        params.append((name, value))
    if rows * cols > ql.MAX_ELEMENTS:
        raise ValueError(t("ws.too_many", count=f"{rows * cols:,}", cap=f"{ql.MAX_ELEMENTS:,}"))
    shape = (int(cols),) if rows == 1 else (int(rows), int(cols))
    spec = (kind, shape, int(seed), float(scale), int(outliers), float(outlier_scale),
            tuple(params))
    with st.spinner(t("ws.generating")):
        x = _generated(*spec)
    return x, "gen:" + repr(spec), t("ws.label_generated", kind=t(f"gen.kind.{kind}"),
                                      shape=fmt.shape(shape), seed=seed)


def _preset_spec() -> tuple[np.ndarray, str, str]:
    name = choice(st.selectbox, t("ws.preset"), ql.SEED_TENSORS, key="ws_preset",
                  default=DEFAULTS["ws_preset"], format_func=lambda k: t(f"preset.tensor.{k}"))
    return _read_only(ql.seed_tensor(name)), f"preset:{name}", t(f"preset.tensor.{name}")


def _load_text(code: str, params: dict, english: str) -> str:
    """A message of ``ql.load_tensors`` in the current language; English if it has no key."""
    key = f"load.{code}"
    if key not in catalogue(DEFAULT_LANGUAGE):
        return english
    return t(key, **{name: _load_text(v.code, v.params, str(v)) if isinstance(v, LoadText) else v
                     for name, v in params.items()})


def _upload_error_text(failure: dict) -> str:
    """The message for a refused upload, translated now: the language may have changed."""
    return t("ws.upload_failed", name=failure["name"],
             reason=_load_text(failure["code"], failure["params"], failure["message"]))


def _upload_spec() -> tuple[np.ndarray, str, str] | None:
    st.caption(t("ws.upload_help", types=", ".join(ql.ACCEPTED_EXTENSIONS),
                 mb=ql.MAX_UPLOAD_BYTES // 2**20, elements=f"{ql.MAX_ELEMENTS:,}"))
    file = st.file_uploader(t("ws.upload"), key="ws_upload")
    if file is not None and st.session_state.get(_UPLOAD_ID) != file.file_id:
        st.session_state[_UPLOAD_ID] = file.file_id
        data = file.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        try:
            with st.spinner(t("ws.reading", name=file.name)):
                arrays = _uploaded(sha, file.name, data)
        except ql.TensorLoadError as err:
            st.session_state[_UPLOAD_ERROR] = {"name": file.name, "code": err.code,
                                               "params": err.params, "message": str(err)}
        else:
            st.session_state[_UPLOAD] = {"sha": sha, "name": file.name, "arrays": arrays}
            st.session_state.pop(_UPLOAD_ERROR, None)
    if st.session_state.get(_UPLOAD_ERROR):
        st.error(_upload_error_text(st.session_state[_UPLOAD_ERROR]), icon=":material/error:")
    upload = st.session_state.get(_UPLOAD)
    if upload is None:
        if not st.session_state.get(_UPLOAD_ERROR):
            st.info(t("ws.upload_none"))
        return None
    names = list(upload["arrays"])
    name = st.selectbox(t("ws.array"), names, key="ws_array") if len(names) > 1 else names[0]
    if name not in upload["arrays"]:
        name = names[0]
    return (upload["arrays"][name], f"upload:{upload['sha']}:{name}",
            t("ws.label_uploaded", file=upload["name"], name=name))


def _nan_policy(summary: dict) -> str:
    if not _nonfinite(summary):
        return DEFAULTS["ws_nan"]
    st.warning(t("ws.nonfinite", nan=summary["nan_count"],
                 inf=summary["posinf_count"] + summary["neginf_count"]),
               icon=":material/warning:")
    return choice(st.radio, t("ws.nan_policy"), ql.NONFINITE_POLICIES, key="ws_nan",
                  default=DEFAULTS["ws_nan"], format_func=lambda p: t(f"ws.nan.{p}"))


def _summary_panel(ws: Workspace) -> None:
    s = ws.summary
    st.markdown(f"**{ws.label}**")
    st.caption(t("ws.summary", shape=fmt.shape(s["shape"]), dtype=s["dtype"],
                 size=f"{s['size']:,}", min=fmt.num(s["min"]), max=fmt.num(s["max"]),
                 mean=fmt.num(s["mean"]), std=fmt.num(s["std"]), nan=s["nan_count"],
                 inf=s["posinf_count"] + s["neginf_count"]))


def _default_workspace() -> Workspace:
    spec = (DEFAULTS["ws_kind"], (DEFAULTS["ws_rows"], DEFAULTS["ws_cols"]), 0, 1.0, 0, 20.0, ())
    key, raw = "gen:" + repr(spec), _generated(*spec)
    return Workspace(key, t("ws.label_default"), _prepared(key, "replace", raw),
                     _summary(key, raw), "generate")


def sidebar() -> Workspace:
    """Draw the workspace controls in the sidebar and return the tensor to work on."""
    with st.sidebar:
        st.subheader(t("ws.title"), help=t("ws.title_help"))
        source = choice(st.segmented_control, t("ws.source"), SOURCES, key="ws_source",
                        default=DEFAULTS["ws_source"], format_func=lambda s: t(f"ws.source.{s}"))
        builders = {"generate": _generator_spec, "preset": _preset_spec, "upload": _upload_spec}
        ws = None
        try:
            spec = builders[source]()
            if spec is not None:
                raw, key, label = spec
                summary = _summary(key, raw)
                policy = _nan_policy(summary)
                ws = Workspace(f"{key}:{policy}", label, _prepared(key, policy, raw), summary,
                               source)
        except (ValueError, TypeError) as err:
            st.error(t("ws.invalid", reason=str(err)), icon=":material/error:")
        if ws is None:
            ws = st.session_state.get(_LAST) or _default_workspace()
            st.caption(t("ws.kept_previous"))
        st.session_state[_LAST] = ws
        st.session_state[_CURRENT] = ws
        _summary_panel(ws)
        st.button(t("ws.reset"), on_click=_reset, icon=":material/restart_alt:",
                  help=t("ws.reset_help"))
    return ws

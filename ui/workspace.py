"""The tensor workspace: the sidebar picker of the tensor a page works on.

A tensor comes from a seeded generator, a seed document's worked example, or an upload.
``picker(prefix)`` draws one picker; its controls are a Control table keyed by the prefix
(``ws_`` for the workspace every page shares, another prefix such as ``wsw_`` for a page
that needs a second tensor), so each picker has its own lesson-link values and caches.

Caches are keyed by what identifies the tensor (generator parameters and seed, preset
name, or the upload's sha256), never by hashing a large array, so a cache can never
return the wrong tensor. A failed upload or a setting that does not work shows a message
and keeps the previous tensor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

import quantlib as ql
from quantlib import tensors
from quantlib._validate import DIM, SEED, CodedError

from . import fmt
from .cache import byte_cache
from .i18n import coded_error, t
from .layout import working
from .urlstate import (
    Control,
    ControlTable,
    bind,
    draw,
    from_link,
    override,
    publish,
    set_values,
    value,
)

SOURCES = ("generate", "preset", "upload")
DEFAULT_PREFIX = "ws"
# Every tensor cache holds a few 16M-element tensors at most (64 MB each in float32).
_TENSOR_CACHE_MB = 300
_SMALL_CACHE_MB = 4


@dataclass(frozen=True, eq=False)
class TensorSpec:
    """The tensor a picker chose, and what identifies it.

    ``key`` identifies the values exactly (it keys every cache of the pages); ``preset``
    names the seed tensor when ``source`` is ``"preset"``.
    """

    key: str
    label: str
    x: np.ndarray
    summary: dict
    source: str
    preset: str | None = None


def _param_key(prefix: str, kind: str, name: str) -> str:
    return f"{prefix}_{kind}_{name}"


def table(prefix: str = DEFAULT_PREFIX) -> ControlTable:
    """The Control table of the picker with this prefix."""
    p = prefix
    controls = [
        Control(f"{p}_source", "generate", "segmented", "ws.source", options=SOURCES,
                option_label="ws.source"),
        Control(f"{p}_kind", "normal", "select", "ws.kind", options=tuple(ql.GENERATORS),
                option_label="gen.kind"),
        Control(f"{p}_rows", 64, "number", "ws.rows", bounds=DIM),
        Control(f"{p}_cols", 256, "number", "ws.cols", bounds=DIM),
        Control(f"{p}_seed", 0, "number", "ws.seed", bounds=SEED),
        Control(f"{p}_scale", 1.0, "number", "ws.scale", help="ws.scale_help",
                bounds=tensors.SCALE, fmt="%g"),
        Control(f"{p}_outliers", 0, "number", "ws.outliers", help="ws.outliers_help",
                bounds=tensors.OUTLIERS),
        Control(f"{p}_outlier_scale", 20.0, "number", "ws.outlier_scale",
                help="ws.outlier_scale_help", bounds=tensors.OUTLIER_SCALE, fmt="%g"),
    ]
    for kind, params in ql.GENERATORS.items():
        for name, default in params.items():
            bounds = tensors.GENERATOR_PARAMS[kind][name]
            controls.append(Control(_param_key(p, kind, name), default, "number",
                                    f"gen.param.{name}", bounds=bounds,
                                    fmt=None if bounds.integer else "%g"))
    controls += [
        Control(f"{p}_preset", "seed002_vector", "select", "ws.preset",
                options=tuple(ql.SEED_TENSORS), option_label="preset.tensor"),
        Control(f"{p}_nan", "replace", "radio", "ws.nan_policy",
                options=ql.NONFINITE_POLICIES, option_label="ws.nan"),
        # The arrays of an upload are known only once a file is read.
        Control(f"{p}_array", "", "select", "ws.array"),
    ]
    return ControlTable(f"workspace:{p}", tuple(controls))


def preset_values(name: str, prefix: str = DEFAULT_PREFIX) -> dict:
    """Control values that put seed tensor ``name`` in a picker (for a page's presets)."""
    return {f"{prefix}_source": "preset", f"{prefix}_preset": name}


def _read_only(x: np.ndarray) -> np.ndarray:
    # Cached arrays are shared by every session: nobody may write into them.
    x.flags.writeable = False
    return x


@byte_cache(max_mb=_TENSOR_CACHE_MB)
def _generated(spec: tuple) -> np.ndarray:
    kind, shape, seed, scale, outliers, outlier_scale, params = spec
    return _read_only(ql.generate(kind, shape, seed=seed, scale=scale, outliers=outliers,
                                  outlier_scale=outlier_scale, **dict(params)))


@byte_cache(max_mb=_TENSOR_CACHE_MB)
def _uploaded(sha256: str, filename: str, data: bytes) -> dict[str, np.ndarray]:
    return {name: _read_only(arr) for name, arr in ql.load_tensors(data, filename).items()}


@byte_cache(max_mb=_SMALL_CACHE_MB)
def _summary(key: str, raw: np.ndarray) -> dict:
    return ql.summarize(raw)


def _nonfinite(summary: dict) -> int:
    return summary["nan_count"] + summary["posinf_count"] + summary["neginf_count"]


@byte_cache(max_mb=_TENSOR_CACHE_MB)
def _prepared(key_and_policy: tuple[str, str], raw: np.ndarray) -> np.ndarray:
    policy = key_and_policy[1]
    return _read_only(np.ascontiguousarray(ql.clean_nonfinite(raw, policy)))


def generated_label(kind: str, shape: tuple[int, ...], seed: int) -> str:
    """The one label of a generated tensor, wherever it is shown."""
    return t("ws.label_generated", kind=t(f"gen.kind.{kind}"), shape=fmt.shape(shape),
             seed=seed)


class _Refused(Exception):
    """A setting the picker cannot use; the message is ready to show."""


def _shape(rows: int, cols: int) -> tuple[int, ...]:
    """One row is a vector: its shape is (cols,)."""
    return (int(cols),) if rows == 1 else (int(rows), int(cols))


def _from_generator(kind: str, shape: tuple[int, ...], seed: int, scale: float,
                    outliers: int, outlier_scale: float, params) -> tuple[np.ndarray, str, str]:
    """The generated tensor, the key that identifies it, and its label."""
    spec = (kind, shape, int(seed), float(scale), int(outliers), float(outlier_scale),
            tuple(params))
    with working(t("ws.generating"), not _generated.has(spec)):
        x = _generated(spec)
    return x, "gen:" + repr(spec), generated_label(kind, shape, seed)


def _generator(tab: ControlTable, prefix: str) -> tuple[np.ndarray, str, str, None]:
    kind = draw(tab[f"{prefix}_kind"])
    st.caption(t(f"gen.help.{kind}"))
    left, right = st.columns(2)
    rows_control, cols_control = tab[f"{prefix}_rows"], tab[f"{prefix}_cols"]
    if (value(rows_control) * value(cols_control) > tensors.MAX_ELEMENTS
            and (from_link(rows_control) or from_link(cols_control))):
        # A link asking for too many values gets the most columns that fit.
        override(cols_control, tensors.MAX_ELEMENTS // value(rows_control))
    rows = draw(rows_control, where=left)
    cols = draw(cols_control, where=right)
    if rows * cols > tensors.MAX_ELEMENTS:
        raise _Refused(t("ws.too_many", count=f"{rows * cols:,}",
                         cap=f"{tensors.MAX_ELEMENTS:,}"))
    shape = _shape(rows, cols)
    bounds = tensors.constraints_for(kind, shape)
    seed = draw(tab[f"{prefix}_seed"], where=left)
    scale = draw(tab[f"{prefix}_scale"], where=right)
    outliers = draw(tab[f"{prefix}_outliers"], where=left, bounds=bounds["outliers"])
    outlier_scale = draw(tab[f"{prefix}_outlier_scale"], where=right)
    params = [(name, draw(tab[_param_key(prefix, kind, name)], bounds=bounds[name]))
              for name in ql.GENERATORS[kind]]
    return (*_from_generator(kind, shape, seed, scale, outliers, outlier_scale, params), None)


def _preset(tab: ControlTable, prefix: str) -> tuple[np.ndarray, str, str, str]:
    name = draw(tab[f"{prefix}_preset"])
    return (_read_only(ql.seed_tensor(name)), f"preset:{name}", t(f"preset.tensor.{name}"),
            name)


def _upload(tab: ControlTable, prefix: str) -> tuple[np.ndarray, str, str, None] | None:
    upload_key, failure_key = f"_{prefix}_upload", f"_{prefix}_upload_failed"
    st.caption(t("ws.upload_help", types=", ".join(tensors.ACCEPTED_EXTENSIONS),
                 mb=f"{tensors.MAX_UPLOAD_BYTES / 10**6:g}",
                 elements=f"{tensors.MAX_ELEMENTS:,}"))
    file = st.file_uploader(t("ws.upload"), key=f"{prefix}_upload")
    arrays = None
    failure = st.session_state.get(failure_key)
    if file is not None and not (failure and failure[0] == file.file_id):
        data = file.getvalue()
        known = st.session_state.get(upload_key)
        # Hash a file once, when it arrives: 50 MB take a noticeable moment.
        if known is not None and known[0] == file.file_id:
            sha = known[1]
        else:
            sha = hashlib.sha256(data).hexdigest()
        try:
            with working(t("ws.reading", name=fmt.plain(file.name)), not _uploaded.has(sha)):
                arrays = _uploaded(sha, file.name, data)
        except tensors.TensorLoadError as err:
            failure = (file.file_id, file.name, err)
            st.session_state[failure_key] = failure
        else:
            st.session_state[upload_key] = (file.file_id, sha, file.name)
            st.session_state.pop(failure_key, None)
            failure = None
    if failure:
        st.error(t("ws.upload_failed", name=fmt.plain(failure[1]),
                   reason=coded_error(failure[2], "load")), icon=":material/error:")
    if arrays is None:
        if not failure:
            st.info(t("ws.upload_none", mb=f"{tensors.MAX_UPLOAD_BYTES / 10**6:g}"))
        return None
    names = tuple(arrays)
    name = draw(tab[f"{prefix}_array"], options=names) if len(names) > 1 else names[0]
    _, sha, filename = st.session_state[upload_key]
    return (arrays[name], f"upload:{sha}:{name}",
            t("ws.label_uploaded", file=fmt.plain(filename), name=fmt.plain(name)), None)


def _nan_policy(tab: ControlTable, prefix: str, summary: dict) -> str:
    control = tab[f"{prefix}_nan"]
    if not _nonfinite(summary):
        return control.default
    st.warning(t("ws.nonfinite", nan=summary["nan_count"],
                 inf=summary["posinf_count"] + summary["neginf_count"]),
               icon=":material/warning:")
    return draw(control)


def _summary_panel(spec: TensorSpec) -> None:
    s = spec.summary
    st.markdown(f"**{spec.label}**")
    st.caption(t("ws.summary", shape=fmt.shape(s["shape"]), dtype=s["dtype"],
                 values=fmt.count(s["size"], "fmt.values"), min=fmt.num(s["min"]),
                 max=fmt.num(s["max"]), mean=fmt.num(s["mean"]), std=fmt.num(s["std"]),
                 nan=s["nan_count"], inf=s["posinf_count"] + s["neginf_count"]))


def _default(tab: ControlTable, prefix: str) -> TensorSpec:
    """The tensor of the default settings (when nothing chosen works, even at first)."""
    defaults = tab.defaults()

    def d(name: str):
        return defaults[f"{prefix}_{name}"]

    kind = d("kind")
    x, key, label = _from_generator(
        kind, _shape(d("rows"), d("cols")), d("seed"), d("scale"), d("outliers"),
        d("outlier_scale"), [(n, defaults[_param_key(prefix, kind, n)])
                             for n in ql.GENERATORS[kind]])
    return TensorSpec(f"{key}:{d('nan')}", label, x, _summary(key, x), "generate")


def _choose(tab: ControlTable, prefix: str) -> TensorSpec | None:
    source = draw(tab[f"{prefix}_source"])
    builders = {"generate": _generator, "preset": _preset, "upload": _upload}
    chosen = builders[source](tab, prefix)
    if chosen is None:
        return None
    raw, key, label, preset = chosen
    summary = _summary(key, raw)
    policy = _nan_policy(tab, prefix, summary)
    x = raw if not _nonfinite(summary) else _prepared((key, policy), raw)
    return TensorSpec(f"{key}:{policy}", label, x, summary, source, preset)


def picker(prefix: str = DEFAULT_PREFIX, *, title: str = "ws.title",
           help: str = "ws.title_help") -> TensorSpec:
    """Draw a tensor picker in the sidebar and return the tensor it holds.

    ``title``/``help`` are i18n keys. A setting or file that does not work shows why, and
    the picker keeps its previous tensor.
    """
    tab = table(prefix)
    bind(tab)
    last_key = f"_{prefix}_last"
    with st.sidebar:
        st.subheader(t(title), help=t(help))
        spec = None
        try:
            spec = _choose(tab, prefix)
        except _Refused as err:
            st.error(str(err), icon=":material/error:")
        except CodedError as err:
            st.error(t("ws.invalid", reason=coded_error(err)), icon=":material/error:")
        if spec is None:
            spec = st.session_state.get(last_key) or _default(tab, prefix)
            st.caption(t("ws.kept_previous"))
        st.session_state[last_key] = spec
        _summary_panel(spec)
        st.button(t("ws.reset"), on_click=_reset, args=(tab, prefix),
                  icon=":material/restart_alt:", help=t("ws.reset_help"),
                  key=f"{prefix}_reset")
    publish(tab)
    return spec


def current(prefix: str = DEFAULT_PREFIX) -> TensorSpec:
    """The tensor that ``picker(prefix)`` chose in this run."""
    return st.session_state[f"_{prefix}_last"]


def _reset(tab: ControlTable, prefix: str) -> None:
    set_values(tab)
    for key in (f"_{prefix}_upload", f"_{prefix}_upload_failed"):
        st.session_state.pop(key, None)

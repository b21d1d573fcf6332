"""The catalogues: same keys and placeholders in every language, every used key present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import quantlib as ql
import views
from lessons import calibration, calibration_maths, home, uniform, uniform_maths
from lessons import formats as lesson_formats
from lessons import granularity as lesson_granularity
from lessons import matmul as lesson_matmul
from lessons import nonuniform as lesson_nonuniform
from quantlib import _validate, tensors
from quantlib import formats as qformats
from quiz.bank import TOPICS
from quiz.scoring import SCORINGS
from quiz.store import JoinError
from tests.helpers import placeholders, source_texts
from ui import charts, language, workspace
from ui.i18n import LANGUAGES, catalogue
from ui.urlstate import ControlTable
from views.calibration import controls as calibration_controls
from views.granularity import controls as granularity_controls
from views.matmul import controls as matmul_controls
from views.nonuniform import controls as nonuniform_controls
from views.uniform import controls as uniform_controls

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "views").rglob("*.py")),
           *sorted((ROOT / "ui").rglob("*.py"))]
LITERAL = re.compile(r"""\bt\(\s*(["'])([^"'{}]+)\1\s*[,)]""")
TABLES = [language.TABLE, workspace.table(), *(p.table for p in views.PAGES if p.table)]


def literal_keys() -> set[str]:
    return {m[1] for path in SOURCES for m in LITERAL.findall(path.read_text(encoding="utf-8"))}


def table_keys(table: ControlTable) -> set[str]:
    """The labels, helps and option labels a Control table names."""
    keys = set()
    for control in table.controls:
        keys |= {control.label} | ({control.help} if control.help else set())
        if isinstance(control.option_label, str):
            keys |= {f"{control.option_label}.{option}" for option in control.options}
    return keys


def dynamic_keys() -> set[str]:
    """Keys built with f-strings in the code, listed from the data they are built from."""
    fam = {
        "gen.kind": ql.GENERATORS, "gen.help": ql.GENERATORS,
        "nav": [p.key for p in views.PAGES], "path": [p.key for p in views.PAGES[1:]],
        "nav.section": {p.section for p in views.PAGES},
        "preset.note": ql.SEED_EXAMPLES, "preset.tensor": ql.SEED_TENSORS,
        "u.axis": ("last",), "u.metric": ("smaller", "larger"),
        "u.col": ("x", "scale", "x/s", "round", "zero_point", "+z", "q", "clipped", "x_hat",
                  "error"),
        "gpu": home.GPU_MEMORY_GB, "chart": charts.LABELS, "fmt.values": ("one", "other"),
        "snippet": uniform_maths.COMMENTS, "ws": ("title", "title_help"),
        "load": source_texts(),  # the codes of TensorLoadError and its labels
        "err": _validate.MESSAGES,  # the codes of ParameterError and ParameterTypeError
        "c.batch": (*calibration.OBSERVERS, "hi", "lo"), "c.col": calibration.TABLE_COLUMNS,
        "c.maths.word": calibration_maths.WORDS,
        "c.preset.note": calibration_controls.TABLE["c_preset"].options[1:],
        "f.name": (*ql.FORMATS, "int8"), "f.kind": (*qformats.CLASSES, "none"),
        "f.specials": ("111", "011", "001", "010"), "f.demo.text": lesson_formats.DEMOS,
        "f.line.summary": ("max", "inf", "nan"),
        "n.scheme": lesson_nonuniform.SCHEMES, "n.bf": lesson_nonuniform.BLOCK_NAMES,
        "n.only": ("nf4", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2", "dynamic", "binary"),
        "n.preset.note": nonuniform_controls.PRESETS,
        "n.col": ("mse", "max_error"),
        "f.col": ("max", "normal", "subnormal", "eps", "mse", "max_error", "sqnr"),
        "g.axis": ("row", "column"), "g.error.title": ("row", "column"),
        "g.error.summary": ("row", "column"), "g.heat.x": lesson_granularity.GRANULARITIES,
        "g.heat.y": lesson_granularity.GRANULARITIES, "g.fix": lesson_granularity.FIXES,
        "g.how": lesson_granularity.FIXES, "g.preset.note": granularity_controls.PRESETS,
        "g.scales": ("one", "other"), "g.columns": ("one", "other"),
        "m.col": ("i", "j", "products", "zw_term", "zx_term", "zz_term", "acc", "scale", "y",
                  "format", "bytes", "ratio"),
        "m.path": ("float", "simulated", "integer"), "m.heat.summary": ("float", "simulated",
                                                                        "integer"),
        "m.format": tuple(lesson_matmul.STORAGE), "m.preset.note": matmul_controls.PRESETS,
        "q.join": JoinError.REASONS, "q.scoring": SCORINGS, "q.topic": TOPICS,
        "q.state": ("waiting", "open", "closed"),
    }
    keys = {f"{prefix}.{name}" for prefix, names in fam.items() for name in names}
    return keys.union(*(table_keys(table) for table in TABLES))


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_as_english(lang):
    en, other = catalogue("en"), catalogue(lang)
    assert sorted(set(en) - set(other)) == [], f"missing in {lang}.json"
    assert sorted(set(other) - set(en)) == [], f"only in {lang}.json"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_placeholders_match_english(lang):
    en, other = catalogue("en"), catalogue(lang)
    wrong = {k: (placeholders(en[k]), placeholders(v)) for k, v in other.items()
             if k in en and placeholders(en[k]) != placeholders(v)}
    assert wrong == {}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_empty_texts(lang):
    assert [k for k, v in catalogue(lang).items() if not v.strip()] == []


def test_every_key_the_code_uses_exists():
    used = literal_keys() | dynamic_keys()
    assert sorted(used - set(catalogue("en"))) == []


def test_no_dead_keys():
    assert sorted(set(catalogue("en")) - literal_keys() - dynamic_keys()) == []


@pytest.mark.parametrize(("code", "template"), sorted(_validate.MESSAGES.items()))
def test_every_parameter_error_has_the_same_placeholders_in_the_catalogues(code, template):
    for lang in LANGUAGES:
        assert placeholders(catalogue(lang)[f"err.{code}"]) == placeholders(template), lang


# Formulas, and the English terms the Vietnamese course itself uses (scale, zero point).
SAME_IN_BOTH = {"chart.staircase", "lang.label", "u.col.error", "u.col.q", "u.col.x/s",
                "u.col.x_hat", "u.metric.scale_focus", "u.metric.zero", "u.mode.affine",
                "ws.label_generated",
                # Formulas and symbols, the same in every language.
                "f.demo.point_three", "f.specials.111", "g.curve.hover", "m.col.y",
                "q.self.score_value", "q.board.row"}


def test_the_vietnamese_catalogue_is_not_english():
    """Texts a student reads should not stay English in Vietnamese (names excepted)."""
    en, vi = catalogue("en"), catalogue("vi")
    same = {k for k in en if en[k] == vi[k] and len(en[k].split()) > 2
            and not k.startswith(("preset.example", "preset.tensor", "home.memory.model"))}
    assert same == SAME_IN_BOTH


def test_the_pages_bounds_come_from_quantlib():
    assert uniform_controls.TABLE["u_bits"].bounds.low == _validate.BITS.low
    assert workspace.table().controls[0].key == "ws_source"
    for kind, params in tensors.GENERATOR_PARAMS.items():
        for name, bounds in params.items():
            assert workspace.table()[f"ws_{kind}_{name}"].bounds == bounds
    assert uniform_controls.TABLE["u_rows"].bounds.high == uniform.TABLE_ROWS

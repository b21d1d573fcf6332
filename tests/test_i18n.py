"""The catalogues: same keys and placeholders in every language, every used key present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import quantlib as ql
from tests.helpers import placeholders, source_texts
from ui import controls, nav, workspace
from ui.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")),
           *sorted((ROOT / "ui").glob("*.py"))]
LITERAL = re.compile(r"""\bt\(\s*(["'])([^"'{}]+)\1\s*[,)]""")


def literal_keys() -> set[str]:
    return {m[1] for path in SOURCES for m in LITERAL.findall(path.read_text(encoding="utf-8"))}


def dynamic_keys() -> set[str]:
    """Keys built with f-strings in the code, listed from the data they are built from."""
    fam = {
        "gen.kind": ql.GENERATORS, "gen.help": ql.GENERATORS,
        "gen.param": {p for params in ql.GENERATORS.values() for p in params},
        "nav": [p.key for p in nav.PAGES], "path": [p.key for p in nav.PAGES[1:]],
        "preset.example": ["none", *ql.SEED_EXAMPLES], "preset.note": ql.SEED_EXAMPLES,
        "preset.tensor": ql.SEED_TENSORS, "u.mode": controls.MODES, "u.sign": controls.SIGNS,
        "u.range": controls.RANGES, "u.round": ql.ROUNDING_MODES,
        "u.gran": ql.GRANULARITIES, "u.axis": ("channel", "group"),
        "u.axis_help": ("channel", "group"),
        "u.col": ("x", "scale", "x/s", "round", "zero_point", "+z", "q", "clipped", "x_hat",
                  "error"),
        "ws.nan": ql.NONFINITE_POLICIES, "ws.source": workspace.SOURCES,
        "gpu": ("consumer", "datacenter"),
        "load": source_texts(),  # the codes of ql.TensorLoadError and its labels
    }
    return {f"{prefix}.{name}" for prefix, names in fam.items() for name in names}


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

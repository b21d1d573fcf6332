"""The Home page's controls: the model-memory calculator."""

from __future__ import annotations

from lessons import home
from quantlib.metrics import STORAGE_BITS
from ui import urlstate
from ui.i18n import t
from ui.urlstate import Control, ControlTable

DEFAULT = home.Settings()


def _model_label(model: str) -> str:
    if model == home.CUSTOM:
        return t("home.memory.custom")
    return t("home.memory.model_option", name=model, size=home.MODEL_SIZES[model])


TABLE = ControlTable("home", (
    Control("h_model", DEFAULT.model, "select", "home.memory.model",
            options=home.MODELS.values, option_label=_model_label),
    Control("h_params", DEFAULT.params_billions, "number", "home.memory.params",
            help="home.memory.params_help", bounds=home.PARAMS_BILLIONS, fmt="%g"),
    Control("h_bits", DEFAULT.bits, "number", "home.memory.bits",
            help="home.memory.bits_help", bounds=STORAGE_BITS, step=0.5, fmt="%g"),
))


def draw() -> home.Settings:
    """Draw the calculator's controls (in the current container) and read them."""
    model = urlstate.draw(TABLE["h_model"])
    params = DEFAULT.params_billions
    if model == home.CUSTOM:
        params = urlstate.draw(TABLE["h_params"])
    bits = urlstate.draw(TABLE["h_bits"])
    urlstate.publish(TABLE)
    return home.Settings(model=model, params_billions=params, bits=bits)

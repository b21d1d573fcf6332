"""The Home page: how much memory a model needs in each number format.

Seed 002's table loads models in FP16 (parameters x 2 bytes): GPT-3 (175B) needs 350 GB.

>>> r = report(Settings(model="GPT-3"))
>>> [row for row in r.rows if row[0] == "FP16 / BF16"]
[('FP16 / BF16', 16.0, 350.0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from quantlib._validate import Interval, Options
from quantlib.metrics import FLOAT32_BITS, STORAGE_BITS, block_bits, memory_gb

BILLION = 10**9
NF4_BLOCK = 64  # QLoRA stores one float32 absmax per 64 weights
CUSTOM = "custom"

# Seed 002's VRAM table ("Model Size * 2 (Loading with FP16)"): billions of parameters.
MODEL_SIZES = MappingProxyType({
    "GPT-3": 175,
    "BLOOM": 176,
    "Llama-2-70B": 70,
    "Mistral 7B": 7,
})
MODELS = Options((*MODEL_SIZES, CUSTOM))
#: A parameter count the calculator takes, in billions: a million to a hundred trillion.
PARAMS_BILLIONS = Interval(float, 0.001, 100_000.0)

# Storage formats: name -> bits per parameter.
STORAGE_FORMATS = MappingProxyType({
    "FP32": float(FLOAT32_BITS),
    "FP16 / BF16": 16.0,
    "FP8 / INT8": 8.0,
    "NF4 (QLoRA)": block_bits(4, NF4_BLOCK),
    "INT4": 4.0,
    "INT2": 2.0,
})
#: Memory of common GPUs (GB), drawn as reference lines: a consumer and a data-centre card.
GPU_MEMORY_GB = MappingProxyType({"consumer": 24, "datacenter": 80})


@dataclass(frozen=True)
class Settings:
    model: str = "GPT-3"
    params_billions: float = 7.0
    bits: float = 3.0

    def __post_init__(self) -> None:
        MODELS.check("model", self.model)
        PARAMS_BILLIONS.check("params_billions", self.params_billions)
        STORAGE_BITS.check("bits_per_param", self.bits)

    @property
    def billions(self) -> float:
        """The parameter count in billions: the model's, or the custom one."""
        return self.params_billions if self.model == CUSTOM else MODEL_SIZES[self.model]


@dataclass(frozen=True)
class Report:
    """(format, bits per parameter, GB) for every storage format, and for the chosen bits."""

    rows: tuple[tuple[str, float, float], ...]
    yours: tuple[float, float]

    def gb(self, name: str) -> float:
        return next(size for fmt, _, size in self.rows if fmt == name)


def memory_table(params_billions: float, formats=STORAGE_FORMATS
                 ) -> tuple[tuple[str, float, float], ...]:
    """``(format, bits per parameter, GB)`` for a model of ``params_billions`` parameters.

    >>> memory_table(175, {"FP16": 16})
    (('FP16', 16, 350.0),)
    """
    return tuple((name, bits, memory_gb(params_billions * BILLION, bits))
                 for name, bits in formats.items())


def report(s: Settings) -> Report:
    """Memory of the chosen model in every storage format, and at the chosen bits."""
    return Report(rows=memory_table(s.billions),
                  yours=(s.bits, memory_gb(s.billions * BILLION, s.bits)))

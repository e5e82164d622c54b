"""The engine's signals, one module each behind :class:`~silian.matching.signals.base.Signal`.

:data:`SIGNALS` lists them in the order hits show their shares and reasons; :func:`create`
makes one engine's set in fusion order (slot signals, then pool signals); a signal named in
``EngineConfig.disabled`` is left out of scoring, fusion and reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from silian.matching.signals.base import Parts, Signal
from silian.matching.signals.bigram import BigramSignal
from silian.matching.signals.bm25 import Bm25Signal
from silian.matching.signals.core import CoreSignal
from silian.matching.signals.discipline import DisciplineSignal
from silian.matching.signals.industry import IndustrySignal
from silian.matching.signals.keyphrase import KeyphraseSignal
from silian.matching.signals.semantic import SemanticSignal
from silian.matching.signals.structure import StructureSignal

SIGNALS = (
    "bm25",
    "bigram",
    "semantic",
    "discipline",
    "keyphrase",
    "core",
    "industry",
    "structure",
)
"""Every signal by name, in the order of a hit's shares and reasons."""
SIGNAL_LABELS = {
    "bm25": "关键词匹配",
    "bigram": "字面相近",
    "semantic": "语义相近",
    "discipline": "学科相同",
    "keyphrase": "关键词完全命中",
    "core": "切中需求核心",
    "industry": "产业链相同",
    "structure": "条件契合",
}
FACTORIES: dict[str, Callable[[Parts], Signal]] = {
    # Fusion order: the discipline signal's feedback reads the sum of the three before it, and
    # the pool signals add to a total in this order (float sums depend on it).
    "bm25": Bm25Signal,
    "bigram": BigramSignal,
    "semantic": SemanticSignal,
    "discipline": DisciplineSignal,
    "structure": StructureSignal,
    "industry": IndustrySignal,
    "keyphrase": KeyphraseSignal,
    "core": CoreSignal,
}


def create(parts: Parts) -> dict[str, Signal]:
    """Every signal of one engine, sharing ``parts``, in fusion order."""
    signals = {name: factory(parts) for name, factory in FACTORIES.items()}
    core, semantic = signals["core"], signals["semantic"]
    if isinstance(core, CoreSignal) and isinstance(semantic, SemanticSignal):
        core.semantic = semantic  # coverage in meaning uses the semantic channel's vectors
    return signals


def check_names(names: Iterable[str]) -> list[str]:
    """The names, or a ValueError naming the first unknown one."""
    out = list(names)
    for name in out:
        if name not in FACTORIES:
            raise ValueError(f"未知的信号 {name!r}（可用：{'、'.join(SIGNALS)}）")
    return out

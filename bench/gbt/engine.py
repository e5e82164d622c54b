"""The matching engine's own tagging path on bench texts, and its chains on the judged demands.

The engine tags a record from its analysed words (title, keywords, first words of the text)
with the discipline distribution the discipline signal computed for the same batch (the word
model's softmax; given disciplines when the record has them). :func:`engine_tags` runs exactly
those two signals on texts given as records' text; :func:`sweep` re-scores the ``none`` rule and
the softmax temperature from one classification (for tuning on the tune half);
:func:`chain_figures` scores the chains ``chains.yaml`` derives from the tags against the chain
of each demand of ``bench/judged`` (split ``dev`` or ``check`` only: never the held-out split).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bench.judged.data import load_demands
from silian.matching.classify import TOKEN_TEMPERATURE, softmax
from silian.matching.config import EngineConfig
from silian.matching.documents import Document
from silian.matching.parallel import analyse
from silian.matching.records import Records
from silian.matching.signals.base import Analysed, Parts
from silian.matching.signals.discipline import DisciplineSignal
from silian.matching.signals.industry import IndustrySignal, chain_map
from silian.matching.signals.lexical import create_lexical
from silian.matching.text import Analyzer
from silian.reference import data as reference


class EngineTagger:
    """The engine's discipline and industry signals, outside an index."""

    def __init__(self) -> None:
        """Signals with the engine's default settings (classifier loaded on first use)."""
        config = EngineConfig(semantic=False)
        self.analyzer = Analyzer()
        parts = Parts(config, Records(), create_lexical(config), self.analyzer)
        self.discipline = DisciplineSignal(parts)
        self.industry = IndustrySignal(parts)

    def analysed(self, texts: Sequence[str]) -> list[Analysed]:
        """Each text analysed as a record's text (no title or keywords)."""
        return [analyse(self.analyzer, "", [], t) for t in texts]

    def tags(self, texts: Sequence[str]) -> list[list[str]]:
        """Division codes exactly as an index build tags records with these texts."""
        return self.tags_and_disciplines(texts)[0]

    def tags_and_disciplines(self, texts: Sequence[str]) -> tuple[list[list[str]], list[str]]:
        """:meth:`tags` and the discipline each record's slot gets."""
        docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
        analysed = self.analysed(texts)
        labels, rows = self.discipline.classify(docs, analysed)
        return self.industry.tag(analysed, rows), labels

    def sweep(
        self,
        texts: Sequence[str],
        temperatures: Iterable[float],
        none_masses: Iterable[float | None],
    ) -> dict[tuple[float, float | None], list[list[str]]]:
        """Tags for every (temperature, none_mass) pair, from one word-model classification."""
        clf = self.discipline.classifier
        assert clf is not None
        analysed = self.analysed(texts)
        decision = clf.decision_tokens([w["title"] + w["text"] for w, _ in analysed])
        words = self.industry.words(analysed)
        out: dict[tuple[float, float | None], list[list[str]]] = {}
        masses = list(none_masses)
        for temperature in temperatures:
            proba = softmax(decision, temperature)
            for mass in masses:
                out[temperature, mass] = self.industry.tagger.tag_tokens(
                    words, discipline_proba=proba, discipline_labels=clf.labels, none_mass=mass
                )
        return out


@dataclass(frozen=True)
class ChainFigures:
    """How the chains derived from the engine's tags agree with the demands' chains."""

    demands: int
    with_chain: int
    hit: float
    only: float
    mean_chains: float
    untagged_office: float | None


def chain_figures(tagger: EngineTagger, split: str = "dev") -> tuple[ChainFigures, list[str]]:
    """Figures over the judged demands of ``split`` and one line per demand (id, chain, found)."""
    if split not in ("dev", "check"):
        raise ValueError("chain figures use the dev or check split only (never heldout)")
    demands = load_demands(split=split)
    chains = chain_map()
    code_of = {c.name: c.code for c in reference.load_chains()}
    tags, disciplines = tagger.tags_and_disciplines([d.text for d in demands])
    found = [
        [code_of[n] for n in chains.chains_of(t, discipline)]
        for t, discipline in zip(tags, disciplines, strict=True)
    ]
    chained = [(d, f) for d, f in zip(demands, found, strict=True) if d.chain]
    office = [f for d, f in zip(demands, found, strict=True) if not d.chain]
    lines = [
        f"{d.id}\t{d.chain or '—'}\t{','.join(t) or '—'}\t{','.join(f) or '—'}"
        for d, t, f in zip(demands, tags, found, strict=True)
    ]
    n = len(chained)
    return (
        ChainFigures(
            demands=len(demands),
            with_chain=n,
            hit=sum(d.chain in f for d, f in chained) / n if n else 0.0,
            only=sum(f == [d.chain] for d, f in chained) / n if n else 0.0,
            mean_chains=float(np.mean([len(f) for _, f in chained])) if n else 0.0,
            untagged_office=sum(not f for f in office) / len(office) if office else None,
        ),
        lines,
    )


def temperatures_default() -> list[float]:
    """The softmax temperatures a sweep tries (the shipped one included)."""
    return sorted({0.1, 0.25, 0.5, 1.0, TOKEN_TEMPERATURE})


def none_masses_default() -> list[float | None]:
    """The ``none`` rule thresholds a sweep tries (None: no rule)."""
    return [None, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def by_id(ids: Sequence[str], tags: Sequence[list[str]]) -> Mapping[str, list[str]]:
    """Record id → its tags."""
    return dict(zip(ids, tags, strict=True))

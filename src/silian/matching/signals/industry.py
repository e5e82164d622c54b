"""The ``industry`` signal: the query profile's industry chains / GB/T 4754 divisions shared with
a record (its given chains, else the chains its tagged divisions show through ``chains.yaml``).

Each record is tagged with up to two divisions by the bridged tagger: TF-IDF similarity to the
standard's descriptions plus the record's discipline distribution through
``DISCIPLINE_INDUSTRIES``, the distribution the discipline signal computed for the same batch
(a record is classified once), and untagged by the ``none`` rule (``NONE_MASS``). A record
with given chains belongs to those (what its page shows); one without belongs to the chains of
``chains.yaml`` (``SILIAN_CHAINS_FILE``) whose GB/T codes fall in its divisions, narrowed to
those listing its discipline when any do — read at query time, so editing the chains needs no
rebuild. The signal re-ranks the candidate pool when the
query names chains; the chain filter reads the same codes, so they are kept (and tagged)
whether or not the signal is switched on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.classify import NONE_MASS, ChunkWords, IndustryTagger, NumberedTokens
from silian.matching.documents import Reason
from silian.matching.records import Column
from silian.matching.signals.base import (
    Analysed,
    Analysis,
    Batch,
    DisciplineRows,
    Explanation,
    Fields,
    Parts,
    PoolScore,
    Query,
    Stage,
)
from silian.reference import data as reference

log = logging.getLogger(__name__)

INDUSTRY_TAGS = 2
# Words of a document the tagger reads: title, keywords and the start of the text.
TEXT_WORDS = 120
# Pool value of a chain a record only shows through its tagged divisions (a given chain: 1).
INFERRED = 0.5


@dataclass(frozen=True)
class ChainMap:
    """The city's chains as the bridge reads them: names, codes and GB/T 4754 divisions."""

    names: dict[str, str] = field(default_factory=dict)
    """Chain name or code → chain name."""
    by_division: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Two-digit division → names of the chains with a GB/T code in it (configuration order)."""
    disciplines: dict[str, frozenset[str]] = field(default_factory=dict)
    """Chain name → its CSL disciplines."""

    @classmethod
    def of(cls, chains: Sequence[reference.ChainConfig]) -> ChainMap:
        """The map of a chain configuration."""
        names: dict[str, str] = {}
        by_division: dict[str, list[str]] = {}
        for chain in chains:
            names[chain.name] = names[chain.code] = chain.name
            for code in dict.fromkeys(c[:2] for c in chain.gbt_codes if c[:2].isdigit()):
                by_division.setdefault(code, []).append(chain.name)
        disciplines = {c.name: frozenset(c.disciplines) for c in chains}
        return cls(names, {k: tuple(v) for k, v in by_division.items()}, disciplines)

    def chains_of(self, divisions: Sequence[str], discipline: str = "") -> list[str]:
        """Names of the chains the divisions show, in division then configuration order.

        With the record's ``discipline``, only the chains that list it are kept when there are
        any (division 37 with 航空宇航科学与技术 is 航空航天, not also ships and rail): on the
        judged dev demands this halved the wrong chains for a few more missed
        (docs/benchmarks.md, 「Discipline → chain bridge」).
        """
        out: dict[str, None] = {}
        for code in divisions:
            out.update(dict.fromkeys(self.by_division.get(code, ())))
        found = list(out)
        if discipline:
            kept = [c for c in found if discipline in self.disciplines.get(c, ())]
            return kept or found
        return found

    def canonical(self, key: str) -> str:
        """A chain's name for its name or code; anything else (a division code) unchanged."""
        return self.names.get(key, key)


_chain_maps: dict[tuple[str, float], ChainMap] = {}


def tagged_words(words: Sequence[Fields]) -> list[list[str]]:
    """The words the tagger reads of each document (title, keywords, start of the text)."""
    return [w["title"] + w["keywords"] + w["text"][:TEXT_WORDS] for w in words]


def tag(
    tagger: IndustryTagger | None,
    words: Sequence[Fields],
    rows: DisciplineRows | None,
    numbered: ChunkWords | None = None,
) -> list[list[str]]:
    """Division codes of documents from their words (none without a tagger).

    With the documents' discipline distributions the tagger adds the discipline bridge and the
    ``none`` rule; without them, TF-IDF alone. ``numbered``: the same words numbered once per
    chunk (the tagger then looks each distinct word up once).
    """
    if tagger is None or not words:
        return [[] for _ in words]
    tokens: list[list[str]] | NumberedTokens = (
        numbered.select(range(len(words)), ("title", "keywords", "text"), TEXT_WORDS)
        if numbered is not None
        else tagged_words(words)
    )
    if rows is None:
        return tagger.tag_tokens(tokens)
    return tagger.tag_tokens(
        tokens, discipline_proba=rows.proba, discipline_labels=rows.labels, none_mass=NONE_MASS
    )


def chain_map(path: Path | None = None) -> ChainMap:
    """The chain configuration in use (re-read when the file changes; empty if unreadable)."""
    path = path or reference.chains_file()
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        key = (str(path), -1.0)
    found = _chain_maps.get(key)
    if found is None:
        try:
            found = ChainMap.of(reference.load_chains(path))
        except reference.ReferenceError:
            # A broken chains file must not break matching: no chain is inferred until fixed.
            log.exception("chain configuration %s unreadable; no chains inferred", path)
            found = ChainMap()
        _chain_maps.clear()
        _chain_maps[key] = found
    return found


class IndustrySignal:
    """Tagged divisions per slot and the chains a query shares with pooled records."""

    name = "industry"
    stage: Stage = "pool"

    def __init__(self, parts: Parts) -> None:
        """No tags yet; the tagger loads on first use (if ``config.tag_industries``)."""
        self.parts = parts
        # Up to two tagged GB/T 4754 divisions per slot, as numbers (-1: none); a dict of
        # lists cost ~150 bytes per record, which mattered at a million records.
        self.columns = [Column(np.int16, -1) for _ in range(INDUSTRY_TAGS)]
        self._tagger: IndustryTagger | None = None
        # The slot's discipline (the discipline signal's; the engine wires it), which picks
        # among the chains of a division.
        self.discipline_of: Callable[[int], str] = lambda _slot: ""

    @property
    def tagger(self) -> IndustryTagger:
        """The GB/T 4754 industry tagger."""
        if self._tagger is None:
            self._tagger = IndustryTagger(self.parts.analyzer)
        return self._tagger

    def tag(
        self, analysed: Sequence[Analysed], rows: DisciplineRows | None = None
    ) -> list[list[str]]:
        """:func:`tag` with this signal's tagger (none when tagging is off)."""
        tagger = self.tagger if self.parts.config.tag_industries else None
        return tag(tagger, [w for w, _ in analysed], rows)

    @staticmethod
    def words(analysed: Sequence[Analysed]) -> list[list[str]]:
        """:func:`tagged_words` of analysed documents."""
        return tagged_words([w for w, _ in analysed])

    def begin(self, sample: Sequence[Analysis], total: int) -> None:
        """Make the tagger now: its vocabulary is segmented with the dictionary as it stands
        after the sample's domain words, as in every build (its worker processes' too)."""
        if self.parts.config.tag_industries:
            _ = self.tagger

    def add(self, batch: Batch) -> None:
        """Append the codes of the batch's documents, as their analysis gives them."""
        codes = [
            [int(c) for c in tags if c.isdigit()][:INDUSTRY_TAGS]
            for tags in batch.analysis.industries
        ]
        for i, column in enumerate(self.columns):
            column.extend([c[i] if i < len(c) else -1 for c in codes])

    def finish(self) -> None:
        """Nothing to finish."""

    def remove(self, slot: int) -> None:
        """Clear a deleted slot's codes."""
        for column in self.columns:
            column.data[slot] = -1

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """The code columns (``industry0``, ``industry1``)."""
        return {}, {f"industry{i}": c.view() for i, c in enumerate(self.columns)}

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Map the saved code columns."""
        for i, column in enumerate(self.columns):
            column.set(arrays[f"industry{i}"])

    def industries_of(self, slot: int) -> list[str]:
        """The GB/T 4754 division codes tagged on a slot."""
        codes = (int(column.data[slot]) for column in self.columns)
        return [f"{code:02d}" for code in codes if code >= 0]

    def chains_of(self, slot: int, chains: ChainMap | None = None) -> tuple[list[str], bool]:
        """The record's chains and whether they are inferred: its given chains (what its page
        shows), else the chains of ``chains.yaml`` its tagged divisions show."""
        given = self.parts.records.chains.get(slot, [])
        if given:
            return list(given), False
        chains = chains or chain_map()
        return chains.chains_of(self.industries_of(slot), self.discipline_of(slot)), True

    def codes_of(self, slot: int, chains: ChainMap | None = None) -> list[str]:
        """The record's chains (given or inferred) and its tagged divisions."""
        return self.chains_of(slot, chains)[0] + self.industries_of(slot)

    def wanted(self, keys: Sequence[str]) -> tuple[set[str], ChainMap]:
        """A profile's or filter's chains (names or codes) as the names records carry."""
        chains = chain_map()
        return {chains.canonical(k) for k in keys}, chains

    def score(self, query: Query, pool: NDArray[np.int64] | None) -> PoolScore | None:
        """Per pooled record: 1 when it shares a given chain (or division) with the profile,
        :data:`INFERRED` when only through its tagged divisions; None if the profile names none."""
        assert pool is not None
        if not query.profile.chains:
            return None
        wanted, chains = self.wanted(query.profile.chains)
        values = np.zeros(len(pool), np.float64)
        shared: list[list[str]] = []
        for i, slot in enumerate(pool.tolist()):
            names, inferred = self.chains_of(slot, chains)
            divisions = self.industries_of(slot)
            by_chain = sorted(wanted.intersection(names))
            by_division = sorted(wanted.intersection(divisions))
            shared.append(by_chain + by_division)
            if by_chain and not inferred:
                values[i] = 1.0
            elif by_chain or by_division:
                values[i] = INFERRED
        return PoolScore(values, query.weights.industry, [True] * len(shared), shared)

    def explain(self, slot: int, query: Query, detail: Any, into: Explanation) -> None:
        """The shared chains / divisions by name: ``shared_chains`` holds the record's given
        chains (what its page shows) and tagged divisions, ``inferred_chains`` the chains only
        its tags show, each with its own reason."""
        if not detail:
            return
        given = set(self.parts.records.chains.get(slot, []))
        shown = [c for c in detail if c in given or c[:2].isdigit()]
        inferred = [c for c in detail if c not in shown]
        if shown:
            into.out["shared_chains"] = shown
            names = [self.tagger.name(c) if c[:2].isdigit() else c for c in shown]
            text = "同属产业链/行业：" + "、".join(names)
            into.items.append(Reason("industry", text, {"codes": shown}))
        if inferred:
            into.out["inferred_chains"] = inferred
            text = "内容涉及产业链：" + "、".join(inferred) + "（据行业分类推断）"
            into.items.append(Reason("industry", text, {"codes": inferred, "inferred": True}))

"""Engine settings saved with an index: analysis, models, fusion weights, signals switched off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from silian.matching.dense import DEFAULT_DIM
from silian.matching.embedding import configured_model


@dataclass
class Weights:
    """Fusion weights and pseudo-relevance-feedback settings (tuned on dev benchmarks)."""

    bm25: float = 1.0
    bigram: float = 1.0
    semantic: float = 1.5
    discipline_first: float = 0.5
    discipline: float = 1.0
    top_bm25: float = 4.0
    top_bigram: float = 2.0
    top_power: float = 4.0
    prf_alpha: float = 0.3
    prf_k: int = 10
    keyphrase: float = 6.0
    keyphrase_cap: int = 3
    industry: float = 0.5
    structure: float = 0.5
    # Query understanding (docs/matching.md, 「Query understanding」): how far query words are
    # weighted by the role of their clause (0: plain counts, 1: CLAUSE_WEIGHTS), the word
    # channel's weight factor for queries of more than ``long_words`` distinct words, the pool
    # weight of covering the demand's core words, the cosine at which the core is covered in
    # meaning, and the discipline prior's confidence (top probability for full weight, 0: always)
    # and gate (how far it is confined to documents covering the core).
    clause_weights: float = 1.0
    bm25_long: float = 0.7
    long_words: int = 12
    core: float = 8.0
    core_semantic: float = 0.4
    discipline_conf: float = 0.4
    discipline_gate: float = 0.5


@dataclass
class EngineConfig:
    """Analysis and model settings of an engine (persisted with the index).

    ``lexical`` names the backend of the word and bigram postings (see
    :mod:`silian.matching.signals.lexical`); ``disabled`` names signals left out of scoring,
    fusion and reasons (read at query time, so one index serves every ablation).
    """

    word_fields: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "keywords": 2.0, "text": 1.0}
    )
    bigram_fields: dict[str, float] = field(
        default_factory=lambda: {"title": 2.0, "keywords": 2.0, "text": 1.0}
    )
    k1: float = 1.2
    b: float = 0.75
    dense_dim: int = DEFAULT_DIM
    # A local sentence-embedding model replacing the word vectors (SILIAN_EMBEDDING_MODEL).
    embedding_model: str = field(default_factory=configured_model)
    semantic: bool = True
    classify: bool = True
    tag_industries: bool = True
    weights: Weights = field(default_factory=Weights)
    lexical: str = "local"
    disabled: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineConfig:
        """Inverse of :meth:`to_dict`, ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and k != "weights"}
        # Indexes saved before the embedding-model hook were built with word vectors.
        values.setdefault("embedding_model", "")
        wknown = {f.name for f in fields(Weights)}
        weights = Weights(**{k: v for k, v in (data.get("weights") or {}).items() if k in wknown})
        return cls(**values, weights=weights)

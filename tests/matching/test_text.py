"""Normalisation, segmentation with the domain dictionary, stopwords and bigrams."""

from __future__ import annotations

from silian.matching.text import Analyzer, bigrams_of, normalise, stopwords, taxonomy_terms


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

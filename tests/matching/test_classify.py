"""Taggers: discipline classifier (held-out rows, training, persistence), GB/T 4754 bridge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from silian.matching.classify import (
    DISCIPLINE_INDUSTRIES,
    DISCIPLINE_WEIGHT,
    TOKEN_TEMPERATURE,
    DisciplineClassifier,
    GramTable,
    IndustryTagger,
    _mapped_coef_t,
    discipline_labels,
    held_out_abstracts,
    load_csldcp,
    no_division_mass,
    softmax,
    text_key,
    tfidf_rows,
    training_data,
)
from silian.matching.parallel import number_words
from silian.matching.text import Analyzer

TINY = [
    ("针灸推拿治疗颈椎病的临床疗效观察，针灸组总有效率高于对照组。", "中医学/中药学"),
    ("中药复方对脾虚证大鼠的影响，中药组症状明显改善。", "中医学/中药学"),
    ("针灸结合中药治疗失眠的疗效观察，中药针灸组疗效好。", "中医学/中药学"),
    ("高镍正极材料的制备与电化学性能，材料循环性能提高。", "材料科学与工程"),
    ("石墨烯复合材料的制备及其导热性能研究，材料导热性能好。", "材料科学与工程"),
    ("陶瓷材料烧结工艺对力学性能的影响，材料强度提高。", "材料科学与工程"),
]


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_text_key_ignores_width_punctuation_and_spacing() -> None:
    assert text_key("采用修正的Rodrigues参数(MRP),建立模型.") == text_key(
        "采用修正的 ＲＯＤＲＩＧＵＥＳ 参数（ＭＲＰ）,建立模型。"
    )
    assert text_key("建立模型") != text_key("建立模型方法")


def test_load_csldcp_skips_excluded_texts(tmp_path: Path) -> None:
    rows = [{"content": text, "label": label, "id": str(i)} for i, (text, label) in enumerate(TINY)]
    _write_jsonl(tmp_path / "a.json", rows[:3])
    _write_jsonl(tmp_path / "b.json", rows[3:])
    texts, labels = load_csldcp(("a.json", "b.json"), directory=tmp_path)
    assert texts == [t for t, _ in TINY] and labels == [lab for _, lab in TINY]
    # The same abstract with other punctuation and width still counts as a repeat.
    repeat = TINY[4][0].replace("，", ", ").replace("石墨烯", "石墨烯 ")
    texts, labels = load_csldcp(("a.json", "b.json"), exclude=[repeat], directory=tmp_path)
    assert len(texts) == len(TINY) - 1
    assert TINY[4][0] not in texts
    assert labels.count("材料科学与工程") == 2


def test_held_out_abstracts_reads_the_records(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "dev.jsonl",
        [{"title": "t1", "abstract": "摘要一"}, {"title": "t2", "abstract": "摘要二"}],
    )
    assert held_out_abstracts(path) == ["摘要一", "摘要二"]


def test_training_data_leaves_out_the_shipped_dev_records() -> None:
    held_out = {text_key(a) for a in held_out_abstracts()}
    assert len(held_out) == 1000
    everything, _ = load_csldcp()
    texts, labels = training_data()
    repeats = len(everything) - len(texts)
    assert 0 < repeats < 50  # a handful of CSLDCP abstracts repeat a CSL dev paper
    assert len(texts) == len(labels)
    assert not any(text_key(t) in held_out for t in texts)


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    analyzer = Analyzer()
    model = DisciplineClassifier.train(
        [t for t, _ in TINY], [lab for _, lab in TINY], analyzer=analyzer
    )
    assert len(model.labels) == 67
    queries = ["针灸与中药治疗的疗效观察", "复合材料的制备与性能"]
    assert model.predict(queries) == ["中医学/中药学", "材料科学与工程"]
    proba = model.proba(queries)
    assert proba.shape == (2, 67)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)

    model.save(tmp_path / "model")
    loaded = DisciplineClassifier.load(tmp_path / "model", analyzer=analyzer)
    assert loaded.labels == model.labels
    assert np.allclose(loaded.decision(queries), model.decision(queries), atol=1e-3)
    tokens = [analyzer.words(q) for q in queries]
    assert loaded.predict_tokens(tokens) == model.predict_tokens(tokens)
    assert loaded.predict_tokens([]) == [] and loaded.predict([]) == []


def test_bridge_codes_are_divisions_and_disciplines_are_csl_labels() -> None:
    tagger = IndustryTagger()
    codes = {d.code for d in tagger.divisions}
    assert set(DISCIPLINE_INDUSTRIES) <= set(discipline_labels())
    for industries in DISCIPLINE_INDUSTRIES.values():
        assert 1 <= len(industries) <= 2 and set(industries) <= codes


def test_discipline_bridge_adds_weighted_divisions() -> None:
    tagger = IndustryTagger()
    labels = ["中医学/中药学", "历史学"]
    bridge = tagger.bridge(labels)
    col = {d.code: j for j, d in enumerate(tagger.divisions)}
    assert bridge[0, col["84"]] == 1.0 and bridge[0, col["27"]] == 0.5
    assert bridge[0].sum() == 1.5 and bridge[1].sum() == 0.0  # 历史学 has no industry
    unknown = [["zzzqqq"]]  # no word of the standard: similarity 0 everywhere
    assert tagger.tag_tokens(unknown) == [[]]
    proba = np.array([[0.6, 0.4]], np.float32)
    # 84 scores 0.5 × 0.6 = 0.30, 27 scores 0.5 × 0.6 × 0.5 = 0.15; both above the 0.08 floor.
    assert DISCIPLINE_WEIGHT == 0.5
    assert tagger.tag_tokens(unknown, discipline_proba=proba, discipline_labels=labels) == [
        ["84", "27"]
    ]
    assert tagger.tag_tokens(
        unknown, floor=0.2, discipline_proba=proba, discipline_labels=labels
    ) == [["84"]]


def test_none_rule_leaves_texts_of_disciplines_without_divisions_untagged() -> None:
    tagger = IndustryTagger()
    labels = ["中医学/中药学", "历史学"]
    words = [["zzzqqq"], ["zzzqqq"], ["zzzqqq"]]
    proba = np.array([[0.6, 0.4], [0.4, 0.6], [0.0, 0.0]], np.float32)
    assert no_division_mass(proba, labels).tolist() == pytest.approx([0.4, 0.6, 0.0])
    bridged = tagger.tag_tokens(words, discipline_proba=proba, discipline_labels=labels)
    assert bridged == [["84", "27"], ["84", "27"], []]
    ruled = tagger.tag_tokens(
        words, discipline_proba=proba, discipline_labels=labels, none_mass=0.5
    )
    # 60 % of the second text's mass is on 历史学 (no division): untagged; a row of zeros (no
    # distribution known) never triggers the rule.
    assert ruled == [["84", "27"], [], []]
    assert tagger.tag_tokens(words, none_mass=0.5) == [[], [], []]  # no distribution: no rule
    with pytest.raises(ValueError):
        no_division_mass(proba, labels[:1])


def test_word_model_distribution_agrees_with_its_labels(
    small_classifier: DisciplineClassifier,
) -> None:
    analyzer = Analyzer()
    tokens = [analyzer.words(t) for t in ("针灸治疗脑卒中后吞咽障碍", "锂离子电池正极材料")]
    decision = small_classifier.decision_tokens(tokens)
    proba = softmax(decision, TOKEN_TEMPERATURE)
    assert proba.shape == (2, len(small_classifier.labels)) and proba.dtype == np.float32
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert small_classifier.labels_of(proba) == small_classifier.predict_tokens(tokens)


def test_features_equal_the_vectorizer_transform_exactly() -> None:
    # The query path computes a text's TF-IDF row itself (no sklearn validation); it must give
    # the very numbers of vectorizer.transform, so every decision value stays the same.
    texts, labels = load_csldcp()
    model = DisciplineClassifier.train(texts[:400], labels[:400], analyzer=Analyzer())
    queries = [
        *texts[400:460],
        "我们是做渔船修造的船厂，焊缝出现裂纹，想找懂焊接疲劳的专家。",
        "需求名称：深水立管抑振装置\n技术指标：振幅降低50%以上",
        "ＡＢＣ　全角  与多个   空格",
        "",
        "。，！",
    ]
    for part in (model._char, model._word):
        for text in queries:
            expected = part.vectorizer.transform([text])
            cols, values = part.features(text)
            assert cols.tolist() == expected.indices.tolist()
            assert np.array_equal(values, expected.data)
        sklearn_rows = part.vectorizer.transform(queries)
        old = np.empty((len(queries), part.coef_t.shape[1]), np.float32)
        for i in range(len(queries)):
            lo, hi = sklearn_rows.indptr[i], sklearn_rows.indptr[i + 1]
            cols = sklearn_rows.indices[lo:hi]
            old[i] = sklearn_rows.data[lo:hi].astype(np.float32) @ part.coef_t[cols]
        assert np.array_equal(part.decision(queries), old + part.intercept)


def test_loaded_weights_are_mapped_from_a_derived_file(tmp_path: Path) -> None:
    analyzer = Analyzer()
    model = DisciplineClassifier.train(
        [t for t, _ in TINY], [lab for _, lab in TINY], analyzer=analyzer
    )
    model.save(tmp_path / "model")
    first = DisciplineClassifier.load(tmp_path / "model", analyzer=analyzer)
    assert (tmp_path / "model" / "char_coef_t.npy").is_file()
    again = DisciplineClassifier.load(tmp_path / "model", analyzer=analyzer)
    for part, name in ((again._char, "char"), (again._word, "word")):
        arrays = np.load(tmp_path / "model" / f"{name}.npz")
        dense = sparse.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]),
            shape=tuple(int(x) for x in arrays["shape"]),
        ).toarray()
        assert np.array_equal(part.coef_t, dense.T) and part.coef_t.dtype == np.float32
        assert part.coef_t.flags.c_contiguous and not part.coef_t.flags.writeable
    queries = ["针灸与中药治疗的疗效观察", "复合材料的制备与性能"]
    assert np.array_equal(first.decision(queries), again.decision(queries))
    # Saving a model again drops the derived file, so a stale copy is never mapped.
    model.save(tmp_path / "model")
    assert not (tmp_path / "model" / "char_coef_t.npy").exists()


def test_weights_stay_in_memory_when_the_cache_cannot_be_written(tmp_path: Path) -> None:
    model = DisciplineClassifier.train(
        [t for t, _ in TINY], [lab for _, lab in TINY], analyzer=Analyzer()
    )
    model.save(tmp_path / "model")
    arrays = dict(np.load(tmp_path / "model" / "word.npz"))
    coef_t = _mapped_coef_t(tmp_path / "absent" / "word_coef_t.npy", arrays)
    assert coef_t.flags.writeable and coef_t.flags.c_contiguous
    assert np.array_equal(coef_t, _mapped_coef_t(tmp_path / "model" / "word_coef_t.npy", arrays))


def _same_matrix(a: sparse.csr_matrix, b: sparse.csr_matrix) -> bool:
    return a.shape == b.shape and all(
        getattr(a, f).dtype == getattr(b, f).dtype and np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("data", "indices", "indptr")
    )


def test_gram_table_rows_equal_the_per_text_loop(small_classifier: DisciplineClassifier) -> None:
    # Documents are classified a batch at a time through the arrays of GramTable; the rows
    # must be the per-text loop's entry for entry (same order, same floats), so labels and
    # tags stay the same.
    analyzer = Analyzer()
    texts, _ = load_csldcp()
    tokens = [analyzer.words(t) for t in texts[:300]]
    tokens += [[], ["未知词"], tokens[0] * 3, tokens[1][:1], ["a b", "a", "b"]]
    vec = small_classifier._word.vectorizer
    for bigrams in (True, False):
        table = GramTable(vec.vocabulary_, vec.idf_, bigrams)
        assert table.exact
        expected = tfidf_rows(tokens, vec.vocabulary_, vec.idf_, bigrams)
        assert _same_matrix(table.rows(tokens), expected)
        assert _same_matrix(table.rows([]), tfidf_rows([], vec.vocabulary_, vec.idf_, bigrams))


def test_gram_table_keeps_the_loop_for_other_vocabularies() -> None:
    # A spaced term that is not two known words: only joining strings finds it.
    vocabulary = {"a": 0, "b c": 1, "x y z": 2, "b": 3}
    idf = np.array([1.0, 2.0, 3.0, 1.5])
    tokens = [["a", "b c"], ["x", "y z"], ["b", "c", "a", "b"]]
    table = GramTable(vocabulary, idf, bigrams=True)
    assert not table.exact
    assert _same_matrix(table.rows(tokens), tfidf_rows(tokens, vocabulary, idf, True))
    exact = GramTable({"a": 0, "b": 1, "a b": 2, "b a": 3}, np.array([1.0, 2.0, 3.0, 4.0]), True)
    tokens = [["a", "b", "a", "b", "b"], ["b"], [], ["a", "c", "b", "a"]]
    assert exact.exact
    assert _same_matrix(exact.rows(tokens), tfidf_rows(tokens, exact.vocabulary, exact.idf, True))


def test_numbered_words_give_the_rows_of_their_lists(
    small_classifier: DisciplineClassifier,
) -> None:
    # A build's chunk numbers its words once; the classifier's and tagger's rows from those
    # numbers must equal the rows of the token lists they stand for.
    analyzer = Analyzer()
    texts, _ = load_csldcp()
    words = [
        {
            "title": analyzer.words(t[:20]),
            "keywords": analyzer.words(t[20:30]),
            "text": analyzer.words(t),
        }
        for t in texts[:60]
    ]
    words[3] = {"title": [], "keywords": [], "text": []}
    numbered = number_words(words)
    need = [0, 2, 3, 5, 59]
    chosen = numbered.select(need, ("title", "text"))
    assert chosen.lists() == [words[i]["title"] + words[i]["text"] for i in need]
    tagged = numbered.select(range(len(words)), ("title", "keywords", "text"), 7)
    assert tagged.lists() == [w["title"] + w["keywords"] + w["text"][:7] for w in words]
    vec = small_classifier._word.vectorizer
    for table in (
        GramTable(vec.vocabulary_, vec.idf_, True),
        GramTable(vec.vocabulary_, vec.idf_, False),
        GramTable({"x y z": 0, **{t: i + 1 for t, i in vec.vocabulary_.items()}}, vec.idf_, True),
    ):
        for tokens in (chosen, tagged):
            assert _same_matrix(table.rows(tokens), table.rows(tokens.lists()))

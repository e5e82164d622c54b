"""The discipline signal: labels per slot, the query distribution, feedback, reasons, state."""

from __future__ import annotations

import numpy as np
import pytest

from silian.matching.classify import DisciplineClassifier
from silian.matching.config import EngineConfig, Weights
from silian.matching.documents import Document, Profile
from silian.matching.parallel import Models
from silian.matching.signals import discipline as discipline_module
from silian.matching.signals.base import Batch, Explanation
from silian.matching.signals.discipline import DisciplineSignal, classify
from silian.matching.text import Analyzer
from tests.matching.signals.conftest import PLAIN, analyse_docs, make_parts, make_query

DOCS = [
    {"id": "a", "title": "高镍正极材料", "disciplines": ["材料科学与工程"]},
    {"id": "b", "title": "养殖废水处理", "disciplines": ["环境科学与工程"]},
    {"id": "c", "title": "锂离子电池电极材料与储能", "text": "电化学储能材料制备。"},
]


@pytest.fixture
def signal(
    analyzer: Analyzer, small_classifier: DisciplineClassifier, monkeypatch: pytest.MonkeyPatch
) -> DisciplineSignal:
    monkeypatch.setattr(discipline_module, "discipline_classifier", lambda: small_classifier)
    config = EngineConfig(semantic=False, tag_industries=False)
    models = Models(PLAIN.word_fields, PLAIN.bigram_fields, lambda: small_classifier, None)
    parts, analysis = make_parts(analyzer, DOCS, config, models)
    made = DisciplineSignal(parts)
    made.begin([analysis], len(DOCS))
    made.add(Batch([Document.from_mapping(d) for d in DOCS], analysis, 0, building=True))
    return made


def test_given_disciplines_win_and_the_classifier_fills_in(
    signal: DisciplineSignal, small_classifier: DisciplineClassifier
) -> None:
    assert signal.names[: len(small_classifier.labels)] == list(small_classifier.labels)
    assert signal.discipline_of(0) == "材料科学与工程"
    assert signal.discipline_of(1) == "环境科学与工程"
    assert signal.discipline_of(2) in small_classifier.labels


def test_query_distribution_mixes_in_known_disciplines(
    analyzer: Analyzer, signal: DisciplineSignal
) -> None:
    plain = signal.query_distribution("养猪场粪污处理", Profile())
    assert plain.sum() == pytest.approx(1.0, abs=1e-4)
    given = signal.query_distribution("养猪场粪污处理", Profile(disciplines=["材料科学与工程"]))
    i = signal.names.index("材料科学与工程")
    assert given[i] == pytest.approx(0.5 * plain[i] + 0.5, abs=1e-6)


def test_without_feedback_the_first_distribution_is_scored(
    analyzer: Analyzer, signal: DisciplineSignal
) -> None:
    weights = Weights(discipline=0.0)
    query = make_query(analyzer, signal.parts, "养猪场粪污处理", weights=weights)
    result = signal.score(query, None)
    dist = signal.query_distribution("养猪场粪污处理", Profile())
    assert result.weight == weights.discipline_first
    assert result.raw[1] == dist[signal.names.index("环境科学与工程")]
    assert np.array_equal(query.notes["discipline"], dist)


def test_feedback_moves_towards_the_disciplines_of_the_first_pass(
    analyzer: Analyzer, signal: DisciplineSignal
) -> None:
    text = "材料与处理"
    query = make_query(analyzer, signal.parts, text, weights=Weights(prf_k=1))
    query.fused = np.array([0.0, 50.0, 0.0], np.float32)  # the other signals found record b
    result = signal.score(query, None)
    first = signal.query_distribution(text, Profile())
    env = signal.names.index("环境科学与工程")
    assert query.notes["discipline"][env] > first[env]
    assert result.weight == Weights().discipline and result.raw[1] > first[env]


def test_explains_likely_disciplines_only(analyzer: Analyzer, signal: DisciplineSignal) -> None:
    query = make_query(analyzer, signal.parts, "任意")
    dist = np.zeros(len(signal.names), np.float32)
    dist[signal.names.index("材料科学与工程")] = 0.6
    dist[signal.names.index("环境科学与工程")] = 0.05
    query.notes["discipline"] = dist
    likely = Explanation({})
    signal.explain(0, query, None, likely)
    assert likely.out["discipline"] == {"name": "材料科学与工程", "p": 0.6}
    assert likely.items[0].text == "同属学科：材料科学与工程"
    unlikely = Explanation({})
    signal.explain(1, query, None, unlikely)
    assert unlikely.out["discipline"]["p"] == 0.05 and unlikely.items == []


def test_state_round_trip(signal: DisciplineSignal) -> None:
    meta, arrays = signal.state()
    copy = DisciplineSignal(signal.parts)
    copy.restore(meta, arrays)
    assert copy.names == signal.names
    assert [copy.discipline_of(s) for s in range(3)] == [signal.discipline_of(s) for s in range(3)]


def test_classify_gives_labels_and_distributions(
    analyzer: Analyzer, small_classifier: DisciplineClassifier
) -> None:
    docs = [Document.from_mapping(d) for d in DOCS]
    words = [w for w, _ in analyse_docs(analyzer, docs)[1]]
    labels, rows = classify(small_classifier, [d.disciplines for d in docs], words)
    assert list(rows.labels) == list(small_classifier.labels)
    given = rows.labels.index("材料科学与工程")
    assert rows.proba[0, given] == 1.0 and rows.proba[0].sum() == 1.0  # given: one-hot
    assert rows.proba[2].sum() == pytest.approx(1.0)  # classified: the word model's softmax
    # The label kept for the slot is the distribution's most likely discipline.
    assert labels[:2] == ["材料科学与工程", "环境科学与工程"]
    assert labels[2] == rows.labels[int(rows.proba[2].argmax())]
    # Without a classifier: the shipped labels, given disciplines only.
    plain_labels, plain = classify(None, [d.disciplines for d in docs], words)
    assert plain_labels == ["材料科学与工程", "环境科学与工程", ""]
    assert plain.proba[2].sum() == 0.0


def test_add_keeps_the_labels_of_the_analysis(
    analyzer: Analyzer, small_classifier: DisciplineClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discipline_module, "discipline_classifier", lambda: small_classifier)
    models = Models(PLAIN.word_fields, PLAIN.bigram_fields, lambda: small_classifier, None)
    parts, analysis = make_parts(analyzer, DOCS, EngineConfig(semantic=False), models)
    made = DisciplineSignal(parts)
    made.add(Batch([Document.from_mapping(d) for d in DOCS], analysis, 0))
    assert [made.discipline_of(s) for s in range(3)] == analysis.disciplines


def test_the_prior_is_weighted_by_its_confidence() -> None:
    spread = np.full(10, 0.1, np.float32)
    sure = np.zeros(10, np.float32)
    sure[3] = 0.8
    assert DisciplineSignal.confidence(spread, 0.0) == 1.0  # 0: always full weight
    assert DisciplineSignal.confidence(spread, 0.4) == pytest.approx(0.25)
    assert DisciplineSignal.confidence(sure, 0.4) == 1.0


def test_confident_only_prior_reorders_documents_that_address_the_problem(
    analyzer: Analyzer, signal: DisciplineSignal
) -> None:
    text = "需求名称：养殖废水处理"
    plain = signal.score(make_query(analyzer, signal.parts, text), None)
    gated = signal.score(
        make_query(
            analyzer, signal.parts, text, weights=Weights(discipline_gate=1.0), understood=True
        ),
        None,
    )
    # Record b (养殖废水处理) covers the core and keeps its prior; records a and c share no
    # core word (and there is no semantic channel here), so theirs is gone.
    assert gated.raw[1] == pytest.approx(plain.raw[1])
    assert gated.raw[0] == 0.0 and gated.raw[2] == 0.0
    unsure = signal.score(
        make_query(analyzer, signal.parts, text, weights=Weights(discipline_conf=2.0)), None
    )
    assert unsure.weight < plain.weight

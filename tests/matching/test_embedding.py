"""The optional sentence-embedding hook: local model layouts, errors, and the engine using it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Regex, Tokenizer, models, pre_tokenizers

from silian.matching.embedding import EmbeddingModelError, StaticEncoder, load_encoder
from silian.matching.engine import Engine, EngineConfig

GROUPS = {"石墨烯散热": 0, "电池储能": 1, "番茄种植": 2}


def _static_model(directory: Path) -> Path:
    """A tiny Model2Vec-layout model: one character vocabulary, one direction per topic."""
    chars = sorted({c for text in GROUPS for c in text})
    vocab = {"[UNK]": 0, **{c: i + 1 for i, c in enumerate(chars)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    rng = np.random.default_rng(1)
    embeddings = rng.normal(scale=0.05, size=(len(vocab), 6)).astype(np.float32)
    for text, axis in GROUPS.items():
        for c in text:
            embeddings[vocab[c], axis] += 1.0
    directory.mkdir(parents=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    save_file({"embeddings": embeddings}, str(directory / "model.safetensors"))
    (directory / "config.json").write_text(json.dumps({"normalize": True}), "utf-8")
    return directory


def test_missing_or_unknown_model_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="目录不存在"):
        load_encoder(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbeddingModelError, match="无法识别"):
        load_encoder(str(tmp_path / "empty"))


def test_static_encoder_means_token_vectors(tmp_path: Path) -> None:
    encoder = StaticEncoder(_static_model(tmp_path / "m"))
    vectors = encoder.encode(["石墨烯散热膜", "储能电池", "？？"])
    assert vectors.shape == (3, 6)
    assert np.argmax(vectors[0]) == 0 and np.argmax(vectors[1]) == 1
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0)
    assert np.allclose(vectors[2], 0.0)  # only unknown characters


def test_engine_uses_the_configured_model(tmp_path: Path) -> None:
    path = str(_static_model(tmp_path / "m"))
    docs = [
        {"id": "a", "kind": "achievement", "title": "石墨烯散热", "text": "散热材料"},
        {"id": "b", "kind": "achievement", "title": "电池储能", "text": "储能系统"},
        {"id": "c", "kind": "achievement", "title": "番茄种植", "text": "设施农业"},
    ]
    config = EngineConfig(embedding_model=path, classify=False, tag_industries=False)
    engine = Engine.build(docs, config=config)
    assert engine.signal("semantic").dense.dim == 6
    # "烯热墨" shares no word or bigram with record a, only the model's meaning.
    hits = engine.query("烯热墨", limit=3)
    assert hits[0].doc_id == "a"
    assert hits[0].signals["bm25"] == 0 and hits[0].signals["bigram"] == 0
    engine.update({"id": "d", "kind": "achievement", "title": "种植番茄", "text": "温室"})
    assert engine.query("茄种", limit=1)[0].doc_id in {"c", "d"}
    engine.save(tmp_path / "index")
    loaded = Engine.load(tmp_path / "index")
    assert loaded.config.embedding_model == path
    assert [h.doc_id for h in loaded.query("烯热墨", limit=3)] == [h.doc_id for h in hits]


def test_environment_variable_turns_the_hook_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILIAN_EMBEDDING_MODEL", str(tmp_path / "absent"))
    assert EngineConfig().embedding_model == str(tmp_path / "absent")
    with pytest.raises(EmbeddingModelError):
        Engine()
    monkeypatch.delenv("SILIAN_EMBEDDING_MODEL")
    assert EngineConfig().embedding_model == ""
    # An index saved before the hook existed has no key: it was built with word vectors.
    assert EngineConfig.from_dict({"k1": 1.2}).embedding_model == ""

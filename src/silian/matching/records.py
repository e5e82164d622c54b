"""The records of an index apart from any signal: ids, slots, titles, kinds, filter columns.

Signals and filters read these columns (the structure signal the TRL, price, region and update
time; the industry signal and the chain filter the chains); each signal keeps its own arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from silian.matching.documents import PUBLISHED, Document, Filters


class Column:
    """A growable 1-d numpy column."""

    def __init__(self, dtype: Any, fill: Any) -> None:
        """An empty column of ``dtype`` whose unused cells hold ``fill``."""
        self.fill = fill
        self.data = np.full(64, fill, dtype)
        self.n = 0

    def set(self, values: NDArray[Any]) -> None:
        """Take saved values (a mapped column of the right type is kept, not copied)."""
        # A mapped column of the right type is kept as it is (shared pages); the first append
        # copies it into private memory.
        same = values.dtype == self.data.dtype and values.ndim == 1
        self.data = values if same else np.array(values, dtype=self.data.dtype)
        self.n = len(values)

    def append(self, value: Any) -> None:
        """Add one value at the end, doubling the storage when full."""
        if self.n >= len(self.data):
            grown = np.full(len(self.data) * 2, self.fill, self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n] = value
        self.n += 1

    def extend(self, values: Sequence[Any]) -> None:
        """Add values at the end (as :meth:`append` one by one: the same cells and capacity)."""
        end = self.n + len(values)
        if end > len(self.data):
            size = len(self.data)
            while size < end:
                size *= 2
            grown = np.full(size, self.fill, self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n : end] = values
        self.n = end

    def view(self) -> NDArray[Any]:
        """The values so far."""
        return self.data[: self.n]


class Texts:
    """Short strings (titles, keywords) in one UTF-8 buffer with offsets.

    A Python string per record costs ~100 bytes of overhead; at a million records the two
    columns would take ~250 MB as lists, about half of that packed.
    """

    def __init__(self) -> None:
        """Start empty."""
        # ``base``: bytes read with the index (possibly a shared read-only map); ``buffer``:
        # text appended since, whose offsets continue after the base.
        self.base: NDArray[np.uint8] = np.zeros(0, np.uint8)
        self.buffer = bytearray()
        self.offsets = Column(np.int64, 0)
        self.offsets.append(0)

    def append(self, text: str) -> None:
        """Add the next string."""
        self.buffer += text.encode("utf-8")
        self.offsets.append(len(self.base) + len(self.buffer))

    def extend(self, texts: Iterable[str]) -> None:
        """Add strings in order."""
        buffer, ends, base = self.buffer, [], len(self.base)
        for text in texts:
            buffer += text.encode("utf-8")
            ends.append(base + len(buffer))
        self.offsets.extend(ends)

    def __getitem__(self, i: int) -> str:
        """The i-th string."""
        start, end = int(self.offsets.data[i]), int(self.offsets.data[i + 1])
        cut = len(self.base)
        if end <= cut:
            return self.base[start:end].tobytes().decode("utf-8")
        return self.buffer[start - cut : end - cut].decode("utf-8")

    def state(self, name: str) -> dict[str, NDArray[Any]]:
        """Arrays to save under ``name``."""
        data = np.frombuffer(bytes(self.buffer), np.uint8)
        return {
            f"{name}_utf8": np.concatenate([self.base, data]) if len(self.base) else data,
            f"{name}_offsets": self.offsets.view(),
        }

    @classmethod
    def from_state(cls, name: str, arrays: Mapping[str, NDArray[Any]]) -> Texts:
        """Inverse of :meth:`state`."""
        texts = cls()
        texts.base = arrays[f"{name}_utf8"]
        texts.offsets.set(arrays[f"{name}_offsets"])
        return texts


def region_code(region: str) -> int:
    """An administrative-division code as a 12-digit number (0 when unknown)."""
    digits = "".join(ch for ch in region if ch.isdigit())[:12]
    return int(digits.ljust(12, "0")) if digits else 0


def _region_prefix_match(codes: NDArray[np.int64], prefix: str) -> NDArray[np.bool_]:
    digits = "".join(ch for ch in prefix if ch.isdigit())[:12]
    if not digits:
        return np.ones(codes.shape[0], bool)
    scale = 10 ** (12 - len(digits))
    return np.asarray(codes // scale == int(digits), bool)


def _one_of(column: NDArray[np.int16], codes: Sequence[int]) -> NDArray[np.bool_]:
    """``np.isin`` without its sort for the usual one or two codes."""
    out = np.zeros(column.shape[0], bool)
    for code in codes:
        out |= column == code
    return out


def _code(table: list[str], value: str) -> int:
    try:
        return table.index(value)
    except ValueError:
        table.append(value)
        return len(table) - 1


class Records:
    """Slot-aligned record columns: id, kind, status, title, keywords, chains, TRL, price,
    region, update time and liveness."""

    def __init__(self) -> None:
        """Start empty."""
        self.doc_ids: list[str | None] = []
        self.slot_of: dict[str, int] = {}
        self.titles = Texts()
        self.keywords = Texts()
        self.chains: dict[int, list[str]] = {}
        self.kinds: list[str] = []
        self.statuses: list[str] = [PUBLISHED]
        self.col_kind = Column(np.int16, -1)
        self.col_status = Column(np.int16, 0)
        self.col_trl = Column(np.int8, 0)
        self.col_price = Column(np.float32, np.nan)
        self.col_region = Column(np.int64, 0)
        self.col_updated = Column(np.float64, np.nan)
        self.col_live = Column(np.bool_, False)

    @property
    def n_slots(self) -> int:
        """Slots handed out (live and deleted)."""
        return len(self.doc_ids)

    def append(self, doc: Document, slot: int) -> None:
        """Add a document's columns at ``slot`` (the next one)."""
        self.extend([doc], slot)

    def extend(self, docs: Sequence[Document], base: int) -> None:
        """Add documents' columns at ``base``, ``base`` + 1, … (the next slots; one numpy write
        per column, so a build adds a chunk at a time)."""
        for i, doc in enumerate(docs):
            self.doc_ids.append(doc.id)
            self.slot_of[doc.id] = base + i
            if doc.chains:
                self.chains[base + i] = list(doc.chains)
        self.col_kind.extend([_code(self.kinds, d.kind) for d in docs])
        self.col_status.extend([_code(self.statuses, d.status) for d in docs])
        self.col_trl.extend([d.trl or 0 for d in docs])
        self.col_price.extend([d.price if d.price else np.nan for d in docs])
        self.col_region.extend([region_code(d.region) for d in docs])
        self.col_updated.extend(
            [d.updated_at if d.updated_at is not None else np.nan for d in docs]
        )
        self.col_live.extend([True] * len(docs))
        self.titles.extend(d.title for d in docs)
        self.keywords.extend(" ; ".join(d.keywords) for d in docs)

    def remove(self, doc_id: str) -> int | None:
        """Mark a document deleted; its slot, or None if it was not indexed."""
        slot = self.slot_of.pop(doc_id, None)
        if slot is None:
            return None
        self.col_live.data[slot] = False
        self.doc_ids[slot] = None
        self.chains.pop(slot, None)
        return slot

    def kind_of(self, slot: int) -> str:
        """The kind of the record at ``slot`` ("" if unknown)."""
        code = int(self.col_kind.data[slot])
        return self.kinds[code] if 0 <= code < len(self.kinds) else ""

    def mask(self, kinds: Sequence[str], filters: Filters) -> NDArray[np.bool_]:
        """Live slots of the given kinds that pass the filters."""
        mask = self.col_live.view().copy()
        if kinds:
            codes = [self.kinds.index(k) for k in kinds if k in self.kinds]
            mask &= _one_of(self.col_kind.view(), codes)
        statuses = filters.statuses if filters.statuses is not None else [PUBLISHED]
        if statuses:
            codes = [self.statuses.index(s) for s in statuses if s in self.statuses]
            mask &= _one_of(self.col_status.view(), codes)
        if filters.region:
            mask &= _region_prefix_match(self.col_region.view(), filters.region)
        if filters.min_trl is not None:
            mask &= self.col_trl.view() >= filters.min_trl
        for doc_id in filters.exclude:
            slot = self.slot_of.get(doc_id)
            if slot is not None:
                mask[slot] = False
        return mask

    def _columns(self) -> dict[str, Column]:
        return {
            "kind": self.col_kind,
            "status": self.col_status,
            "trl": self.col_trl,
            "price": self.col_price,
            "region": self.col_region,
            "updated": self.col_updated,
            "live": self.col_live,
        }

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """JSON-able metadata and named arrays to save."""
        meta = {
            "doc_ids": self.doc_ids,
            "chains": {str(k): v for k, v in self.chains.items()},
            "kinds": self.kinds,
            "statuses": self.statuses,
        }
        arrays = {name: column.view() for name, column in self._columns().items()}
        arrays.update(self.titles.state("titles"))
        arrays.update(self.keywords.state("keywords"))
        return meta, arrays

    def restore(self, meta: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> None:
        """Take the state saved by :meth:`state` (mapped arrays are kept as they are)."""
        self.doc_ids = list(meta["doc_ids"])
        self.slot_of = {d: i for i, d in enumerate(self.doc_ids) if d is not None}
        self.titles = Texts.from_state("titles", arrays)
        self.keywords = Texts.from_state("keywords", arrays)
        self.chains = {int(k): v for k, v in meta["chains"].items()}
        self.kinds = list(meta["kinds"])
        self.statuses = list(meta["statuses"])
        for name, column in self._columns().items():
            column.set(arrays[name])

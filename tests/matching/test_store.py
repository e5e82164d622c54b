"""Index generations on disk: atomic publication, mapped readers, generation switch, one writer."""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silian.matching.engine import Engine, EngineConfig
from silian.matching.store import CURRENT, DirectoryStore, MemoryStore

LEXICAL = EngineConfig(classify=False, tag_industries=False, semantic=True)


def _mapped(array: Any) -> bool:
    """True when ``array`` is (a view of) a memory map rather than its own memory."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def _engine(corpus: list[dict[str, Any]]) -> Engine:
    return Engine.build(corpus, LEXICAL)


def test_old_readers_keep_working_and_new_readers_see_the_new_generation(
    corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    store = DirectoryStore(tmp_path / "index")
    first = store.publish(_engine(corpus), {"build": "a"})
    old_reader, state = store.open(first)
    assert state == {"build": "a"}
    # Arrays are mapped from the generation's files, not copied into the process.
    assert _mapped(old_reader.signal("semantic").dense.data)
    assert _mapped(old_reader.lexical.words.segments[0].rows)
    assert _mapped(old_reader.records.col_live.data)
    assert _mapped(old_reader.records.titles.base)
    before = [h.doc_id for h in old_reader.query("养猪场废水处理")]

    newer = _engine([*corpus, {"id": "demand:9", "kind": "demand", "title": "养猪场废水沼气"}])
    second = store.publish(newer, {"build": "b"})
    third = store.publish(newer, {"build": "b"})
    assert store.current() == third
    # The first generation is pruned (two newer exist) while a reader still maps it.
    assert not store.path(first).exists() and store.path(second).exists()
    assert [h.doc_id for h in old_reader.query("养猪场废水处理")] == before
    old_reader.update({"id": "talent:7", "kind": "talent", "title": "沼气工程专家"})
    assert "talent:7" in [h.doc_id for h in old_reader.query("沼气工程", kind="talent")]

    new_reader, _ = store.open(store.current() or "")
    assert "demand:9" in [h.doc_id for h in new_reader.query("养猪场废水沼气", kind="demand")]
    # The reader's edit stayed private: the files on disk are unchanged.
    assert "talent:7" not in store.open(third)[0]


def test_a_failed_publication_leaves_the_current_generation(
    corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    store = DirectoryStore(tmp_path / "index")
    good = store.publish(_engine(corpus), {"build": "a"})

    def half_written(directory: Path) -> None:
        (directory / "meta.json").write_text("{", "utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.publish_with(half_written, {"build": "b"})
    assert store.current() == good
    assert (tmp_path / "index" / CURRENT).read_text("utf-8").strip() == good
    assert [p.name for p in (tmp_path / "index").iterdir() if p.name.startswith(".gen")] == []


def test_only_one_process_is_the_writer(tmp_path: Path) -> None:
    first, second = DirectoryStore(tmp_path), DirectoryStore(tmp_path)
    assert first.try_become_writer()
    assert first.try_become_writer()  # kept
    assert not second.try_become_writer()
    first.release()
    assert second.try_become_writer()
    second.release()


def test_memory_store_is_a_drop_in_double(corpus: list[dict[str, Any]]) -> None:
    store = MemoryStore()
    assert store.current() is None
    engine = _engine(corpus)
    name = store.publish(engine, {"build": "x"})
    assert store.current() == name
    assert store.open(name)[0] is engine and store.read_state(name) == {"build": "x"}
    store.writer = False
    assert not store.try_become_writer()

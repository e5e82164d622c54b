"""Where a matching index lives between processes: generations on disk, shared by mapping.

Layout under the index directory (``SILIAN_HOME/index``)::

    CURRENT                 name of the current generation (one line, replaced atomically)
    gen-<ns>-<pid>/         one complete index: meta.json, one .npy per array, sync.json
    writer.lock             held (flock) by the one process that saves edits
    .gen-….tmp/             a generation being written (never read)

A generation is written completely into a temporary directory, every file flushed to disk,
then renamed into place, and only then is ``CURRENT`` replaced (write + rename). A reader
therefore sees the old generation or the new one, never a half-written file. Readers map the
arrays copy-on-write from read-only files; a generation is removed only when two newer ones
exist, and on POSIX a removed file stays readable for the processes that still map it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from silian.matching.engine import Engine

CURRENT = "CURRENT"
SYNC_FILE = "sync.json"
LOCK_FILE = "writer.lock"
# Generations kept besides the current one (a worker may still be switching to it).
KEEP = 1


class IndexStore(Protocol):
    """What the matching service needs of index storage (a directory of generations, or a
    dict in tests)."""

    def current(self) -> str | None:
        """Name of the current generation, or None when nothing was published."""

    def publish(self, engine: Engine, state: dict[str, Any]) -> str:
        """Store ``engine`` with its sync ``state`` as the new current generation."""

    def open(self, generation: str) -> tuple[Engine, dict[str, Any]]:
        """The engine and sync state of a generation (mapped, not copied, where possible)."""

    def read_state(self, generation: str) -> dict[str, Any]:
        """Only the sync state of a generation (cheap: to decide whether to switch)."""

    def try_become_writer(self) -> bool:
        """True when this process is (now) the single writer that saves edits."""

    def release(self) -> None:
        """Give up the writer role (at shutdown, or when a service is dropped)."""


class DirectoryStore:
    """Generations in a directory; readers map them, one writer (a file lock) saves edits."""

    def __init__(self, root: Path) -> None:
        """A store under ``root`` (created on first publish)."""
        self.root = root
        self._lock_file: IO[bytes] | None = None

    def current(self) -> str | None:
        """Name in ``CURRENT`` when that generation exists."""
        try:
            name = (self.root / CURRENT).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name / "meta.json").is_file() else None

    def path(self, generation: str) -> Path:
        """Directory of a generation."""
        return self.root / generation

    def publish(self, engine: Engine, state: dict[str, Any]) -> str:
        """Write a complete new generation, then point ``CURRENT`` at it; prune old ones."""
        return self.publish_with(engine.write, state)

    def publish_with(self, write: Callable[[Path], None], state: dict[str, Any]) -> str:
        """Publish what ``write(directory)`` puts into an empty directory, with ``state``."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns():020d}-{os.getpid()}"
        tmp = self.root / f".{name}.tmp"
        tmp.mkdir()
        try:
            write(tmp)
            _write_synced(tmp / SYNC_FILE, json.dumps(state))
            tmp.rename(self.root / name)
            _fsync_dir(self.root)
            pointer = self.root / f".{CURRENT}.{os.getpid()}.tmp"
            _write_synced(pointer, name + "\n")
            pointer.replace(self.root / CURRENT)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(name)
        return name

    def open(self, generation: str) -> tuple[Engine, dict[str, Any]]:
        """Map a generation's engine and read its sync state."""
        directory = self.root / generation
        state = json.loads((directory / SYNC_FILE).read_text("utf-8"))
        return Engine.load(directory, mmap=True), state

    def read_state(self, generation: str) -> dict[str, Any]:
        """The generation's ``sync.json``."""
        state: dict[str, Any] = json.loads((self.root / generation / SYNC_FILE).read_text("utf-8"))
        return state

    def _prune(self, keep: str) -> None:
        """Remove generations older than the newest KEEP before ``keep`` and stale temporaries."""
        gens = sorted(p.name for p in self.root.glob("gen-*") if p.is_dir())
        older = [g for g in gens if g < keep]
        for name in older[: max(len(older) - KEEP, 0)]:
            shutil.rmtree(self.root / name, ignore_errors=True)
        for tmp in self.root.glob(".gen-*.tmp"):
            pid = tmp.name.rsplit("-", 1)[-1].removesuffix(".tmp")
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(tmp, ignore_errors=True)

    def try_become_writer(self) -> bool:
        """Take the writer lock without waiting; kept until :meth:`release` or process exit."""
        if self._lock_file is not None:
            return True
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        handle = (self.root / LOCK_FILE).open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def release(self) -> None:
        """Drop the writer lock if held."""
        if self._lock_file is not None:
            self._lock_file.close()  # closing the descriptor releases the flock
            self._lock_file = None


class MemoryStore:
    """Generations held as engines in this process (tests and throwaway services)."""

    def __init__(self) -> None:
        """Empty."""
        self.generations: dict[str, tuple[Engine, dict[str, Any]]] = {}
        self.name: str | None = None
        self.writer = True

    def current(self) -> str | None:
        """The last published name."""
        return self.name

    def publish(self, engine: Engine, state: dict[str, Any]) -> str:
        """Keep the engine object itself."""
        self.name = f"gen-{len(self.generations) + 1}"
        self.generations[self.name] = (engine, dict(state))
        return self.name

    def open(self, generation: str) -> tuple[Engine, dict[str, Any]]:
        """The stored engine (shared, not copied)."""
        engine, state = self.generations[generation]
        return engine, dict(state)

    def read_state(self, generation: str) -> dict[str, Any]:
        """The state published with that generation."""
        return dict(self.generations[generation][1])

    def try_become_writer(self) -> bool:
        """Whether this store was told it writes."""
        return self.writer

    def release(self) -> None:
        """Nothing to release."""


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some file systems refuse to open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Forked workers for `silian serve --workers N`: load once, then fork N uvicorn servers.

The parent process imports the app and maps the matching engine (no database connection, no
thread), freezes what it loaded (``gc.freeze``), binds the listening socket and forks the
workers: every worker starts with the parent's pages shared copy-on-write instead of importing
and loading its own copy. The parent only supervises: it restarts a worker that dies and, on
SIGINT or SIGTERM, asks every worker to finish its requests and waits for them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Exit status of a worker that could not start serving (uvicorn's STARTUP_FAILURE): restarting
# it would fail the same way, so the parent stops instead.
STARTUP_FAILURE = 3
# Seconds the workers get to finish their requests after SIGTERM before they are killed.
GRACE = 30.0
# A worker that dies sooner than this after its start is restarted only after a pause, so a
# crash at start does not become a fork loop.
MIN_LIFETIME = 5.0
RESTART_PAUSE = 1.0
POLL = 0.1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def can_fork() -> bool:
    """Whether this platform has fork (not Windows)."""
    return hasattr(os, "fork")


@dataclass
class Worker:
    """One forked worker: its slot (0 … N-1), process id and start time."""

    slot: int
    pid: int
    started: float


class Supervisor:
    """Forks ``count`` workers that each run ``serve(slot)``, restarts those that die and
    forwards SIGINT/SIGTERM to them."""

    def __init__(
        self,
        count: int,
        serve: Callable[[int], None],
        *,
        grace: float = GRACE,
        say: Callable[[str], None] = print,
        before_restart: Callable[[], None] | None = None,
    ) -> None:
        """Supervise ``count`` workers; ``say`` prints the supervisor's messages and
        ``before_restart()`` runs in this process before a replacement worker is forked."""
        self.count = count
        self.serve = serve
        self.grace = grace
        self.say = say
        self.before_restart = before_restart
        self.workers: dict[int, Worker] = {}
        self._stop: int | None = None

    def run(self) -> int:
        """Fork the workers and supervise them until a signal stops them; the exit status."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        status = 0
        try:
            for slot in range(self.count):
                self._fork(slot)
            status = self._supervise()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _on_signal(self, sig: int, _frame: Any) -> None:
        self._stop = sig

    def _fork(self, slot: int) -> None:
        if threading.active_count() > 1:
            names = ", ".join(t.name for t in threading.enumerate())
            self.say(f"警告：派生工作进程时父进程仍有其他线程（{names}）")
        # Output still buffered would otherwise be written again by the child.
        sys.stdout.flush()
        sys.stderr.flush()
        # A stop signal arriving while the child still has the parent's handlers waits until
        # the child has its own.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            _run_worker(self.serve, slot)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        self.workers[pid] = Worker(slot, pid, time.monotonic())
        self.say(f"工作进程 {slot} 已启动（pid {pid}）")

    def _supervise(self) -> int:
        pauses: dict[int, float] = {}  # slot → when it may be forked again
        while self._stop is None:
            for pid, code in _reap():
                worker = self.workers.pop(pid, None)
                if worker is None:
                    continue
                if code == STARTUP_FAILURE:
                    self.say(f"工作进程 {worker.slot}（pid {pid}）启动失败，服务停止")
                    return STARTUP_FAILURE
                lived = time.monotonic() - worker.started
                self.say(f"工作进程 {worker.slot}（pid {pid}）退出（状态 {code}），重新启动")
                pause = RESTART_PAUSE if lived < MIN_LIFETIME else 0.0
                pauses[worker.slot] = time.monotonic() + pause
            for slot, when in list(pauses.items()):
                if time.monotonic() >= when and self._stop is None:
                    del pauses[slot]
                    self._refresh()
                    self._fork(slot)
            time.sleep(POLL)
        return 0

    def _refresh(self) -> None:
        """Let the parent bring what it shares up to date (a newer index) before a fork, so
        the replacement shares it instead of loading its own copy; a failure only says so."""
        if self.before_restart is None:
            return
        try:
            self.before_restart()
        except Exception as exc:  # the replacement then loads what it needs itself
            self.say(f"警告：派生前更新共享数据失败：{exc}")

    def _stop_all(self) -> None:
        """SIGTERM every worker (uvicorn finishes its requests), SIGKILL after the grace."""
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while self.workers and time.monotonic() < deadline:
            for pid, _ in _reap():
                self.workers.pop(pid, None)
            time.sleep(POLL)
        for pid in list(self.workers):
            _signal(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.workers.pop(pid, None)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _reap() -> list[tuple[int, int]]:
    """Children that ended since the last call: (pid, exit status; -N when killed by N)."""
    out: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return out
        if pid == 0:
            return out
        out.append((pid, os.waitstatus_to_exitcode(status)))


def _quit(_sig: int, _frame: Any) -> None:
    raise SystemExit(0)


def _run_worker(serve: Callable[[int], None], slot: int) -> None:
    """In the forked child: run the server, then leave without the parent's exit handlers."""
    code = 1
    try:
        # Until uvicorn installs its handlers (and after it restores these and re-raises the
        # signal it shut down on), a stop signal ends the worker quietly.
        for sig in STOP_SIGNALS:
            signal.signal(sig, _quit)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        serve(slot)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int,
    options: dict[str, Any],
    after_fork: Callable[[int], None],
    say: Callable[[str], None] = print,
    refresh: Callable[[], bool] | None = None,
) -> int:
    """Serve ``app`` (already loaded) with ``workers`` forked uvicorn processes on one socket.

    ``after_fork(slot)`` runs in each worker before it serves (database pools, threads and
    anything else a process must own are made there). ``refresh()`` runs in this process
    before a worker that died is replaced and returns True when it loaded something new (a
    newer index generation), which is then frozen like the first load. Returns the exit
    status.
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, **options)
    sock = config.bind_socket()
    # Protocol classes and middleware loaded once, before the fork, like the app.
    config.load()
    gc.collect()
    # Objects loaded so far are never scanned again by the collector: its passes would write
    # their headers and turn the shared pages private in every worker.
    gc.freeze()

    def run(slot: int) -> None:
        after_fork(slot)
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        if not server.started:
            raise SystemExit(STARTUP_FAILURE)

    def before_restart() -> None:
        if refresh is None or not refresh():
            return
        # Unfrozen, what the refresh replaced can be collected (cycles included); then what it
        # loaded is frozen like the first load.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        say("父进程已重新加载共享数据，替换的工作进程将与其共享")

    try:
        return Supervisor(workers, run, say=say, before_restart=before_restart).run()
    finally:
        sock.close()

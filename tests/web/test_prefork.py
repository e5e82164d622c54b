"""The forked-worker supervisor: two workers serve one socket, a killed one is replaced, SIGTERM
stops them all, a worker that cannot start stops the server (a tiny ASGI app, 127.0.0.1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from silian.web import prefork
from tests.serving import answers, connection_to, free_port, get, stop, wait_until, worker_pids

pytestmark = pytest.mark.skipif(not prefork.can_fork(), reason="fork is POSIX only")

SERVER = """
import os, sys
from silian.web import prefork

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})

def after_fork(slot):
    print(f"after_fork {slot} {os.getpid()}", flush=True)
    if sys.argv[2] == "fail":
        raise SystemExit(prefork.STARTUP_FAILURE)

def refresh():
    print(f"refresh {os.getpid()}", flush=True)
    return True

sys.exit(prefork.serve(app, host="127.0.0.1", port=int(sys.argv[1]), workers=2,
    options={"lifespan": "off", "log_level": "warning"}, after_fork=after_fork, refresh=refresh))
"""


def _start(tmp_path: Path, port: int, mode: str = "ok") -> tuple[subprocess.Popen[bytes], Path]:
    script = tmp_path / "server.py"
    script.write_text(SERVER, "utf-8")
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-u", str(script), str(port), mode],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_two_forked_workers_serve_one_socket_a_killed_one_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    process, log = _start(tmp_path, port)
    try:
        wait_until(lambda: len(worker_pids(log)) == 2 and answers(port, "/"), 60, "two workers")
        first = worker_pids(log)
        text = log.read_text("utf-8")
        assert f"after_fork 0 {first[0]}" in text and f"after_fork 1 {first[1]}" in text
        assert "refresh" not in text  # the first workers share what the parent loaded
        # Each worker accepts on the shared socket and answers from its own process.
        for slot, pid in first.items():
            conn = connection_to(port, pid, [p for s, p in first.items() if s != slot])
            assert get(conn, "/") == (200, str(pid).encode())
            conn.close()

        os.kill(first[0], signal.SIGKILL)
        wait_until(lambda: worker_pids(log).get(0) not in (None, first[0]), 30, "replacement")
        again = worker_pids(log)
        assert again[1] == first[1] and _alive(again[0])
        conn = connection_to(port, again[0], [again[1]])
        assert get(conn, "/") == (200, str(again[0]).encode())
        conn.close()
        text = log.read_text("utf-8")
        assert "退出（状态 -9），重新启动" in text
        # The parent refreshed what it shares (in its own process) before forking the newcomer.
        assert f"refresh {process.pid}" in text
        assert text.index(f"refresh {process.pid}") < text.index(f"after_fork 0 {again[0]}")
        assert "父进程已重新加载共享数据" in text
    finally:
        status = stop(process, timeout=30)
    assert status == 0, log.read_text("utf-8")
    assert not any(_alive(pid) for pid in again.values())
    assert not answers(port, "/")


def test_a_worker_that_cannot_start_stops_the_server(tmp_path: Path) -> None:
    process, log = _start(tmp_path, free_port(), "fail")
    try:
        assert process.wait(timeout=60) == prefork.STARTUP_FAILURE
    finally:
        stop(process)
    assert "启动失败，服务停止" in log.read_text("utf-8")

"""Helpers for tests that start a real server on 127.0.0.1: free port, readiness, its workers,
and an HTTP connection held to each worker (Linux: the accepting process is found in /proc)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

WORKER_LINE = re.compile(r"工作进程 (\d+) 已启动（pid (\d+)）")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """GET path on a kept-alive connection: status and body."""
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll check every 0.1 s until it is true (AssertionError after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def answers(port: int, path: str = "/healthz") -> bool:
    """Whether a fresh connection to the server gets 200 for path."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        return get(conn, path)[0] == 200
    except OSError:
        return False
    finally:
        conn.close()


def worker_pids(log: Path) -> dict[int, int]:
    """Slot → pid of the workers the supervisor says it started (the latest per slot)."""
    found: dict[int, int] = {}
    for slot, pid in WORKER_LINE.findall(log.read_text("utf-8", errors="replace")):
        found[int(slot)] = int(pid)
    return found


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def serving_pid(port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of pids holds the server side of the connection from client_port to port."""
    wanted = f"0100007F:{port:04X}"
    peer = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[2] == peer:
            inode = fields[9]
            for pid in pids:
                if inode in _socket_inodes(pid):
                    return pid
    return None


def connection_to(
    port: int, pid: int, others: list[int], tries: int = 20
) -> http.client.HTTPConnection:
    """A kept-alive connection served by worker pid: the other workers are paused (SIGSTOP)
    while it connects, so only pid accepts; checked in /proc."""
    for _ in range(tries):
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status, _ = get(conn, "/healthz")
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)
        assert conn.sock is not None
        if status == 200 and serving_pid(port, conn.sock.getsockname()[1], [pid, *others]) == pid:
            return conn
        conn.close()
        time.sleep(0.1)
    raise AssertionError(f"no connection served by worker {pid}")


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM the server and wait (SIGKILL after timeout); its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)

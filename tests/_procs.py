"""Helpers for tests that start, signal and reap `vnmod score` processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def default_signals() -> None:
    """Reset SIGINT, SIGTERM and SIGHUP in a child (a shell run under nohup ignores them)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def group_alive(pgid: int) -> bool:
    """True if a process of the group ``pgid`` is still running."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_group_ends(pgid: int, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for the process group to end; fail if one outlives it."""
    deadline = time.time() + timeout
    while group_alive(pgid) and time.time() < deadline:
        time.sleep(0.05)
    assert not group_alive(pgid), "a worker outlived the run"


def kill_group(proc: subprocess.Popen) -> None:
    """Kill what is left of ``proc``'s process group and reap ``proc``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)

"""Helpers for tests that start, signal and reap `vnmod score` processes."""

from __future__ import annotations

import os
import signal


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

"""Open an output file so that a failed or stopped run harms nothing that was there.

Where output goes (:func:`plan_output`, called before any work starts):

- ``-``: standard output, written as rows come.
- A FIFO or character device (``/dev/null``, a named pipe, ``/dev/stdout`` on a pipe or a
  terminal), also behind a symbolic link: written through (opened for appending), never
  replaced. So are the links to the process's own open files, ``/dev/stdout``, ``/dev/stderr``,
  ``/dev/fd/N`` and ``/proc/self/fd/N``, even where they lead to a regular file
  (``> out.csv``): the shell opened that file, and the output goes on where it is.
- Any other regular file (``/dev/shm/out.csv`` too), or no file yet: written to a hidden
  temporary file beside it (``.NAME.XXXX.tmp``) and renamed over it once complete, so readers
  see the old file or the new one, never half of one. Missing parent folders are created. The
  new file gets the mode of the file it replaces, else ``0o666`` less the umask, as ``open``
  would give it. (``vnmod score`` writes such a file through :mod:`vnmod.batch_resume`, which
  keeps the temporary file, with a checkpoint, when a run is interrupted, for ``--resume``.)
- Refused with :class:`OutputPathError` (one line): a folder, a symbolic link to a regular file
  (replacing the link's target behind the user's back, perhaps as root, is not worth it: name
  the file itself), a dangling link, a block device, a socket, a parent that is not a
  folder, a folder the process may not write in.

:func:`stop_cleanly_on_signals` makes SIGTERM and SIGHUP unwind like Ctrl-C, so the temporary
file is removed, and then lets the signal end the process as it would have (a shell sees
128+N). :func:`signals_blocked` holds SIGINT, SIGTERM and SIGHUP back while worker processes
and helper threads are started (so that they never see the parent's handlers, and a signal
sent to the whole process is always taken by the main thread) and while workers are reaped.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OutputPathError(ValueError):
    """The output cannot be written where asked; the message says why in one line."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived; raised like KeyboardInterrupt so clean-up code runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@dataclass(frozen=True)
class OutputTarget:
    """Where :func:`open_output` writes: ``path`` (None: stdout), replaced or written through."""

    path: Path | None
    replace: bool = False
    mode: int = 0o644

    def __str__(self) -> str:
        return "-" if self.path is None else str(self.path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_folder(path: Path) -> None:
    """Raise unless ``path``'s folder exists, or can be made, and may be written in."""
    folder = Path(os.path.abspath(path)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {path}: no permission to create files in {folder}")


# The process's own open files, by name (not where they lead): written through.
_STDIO_LINK = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/self/fd/\d+")


def _kind(mode: int) -> str:
    if stat.S_ISBLK(mode):
        return "block device"
    return "socket" if stat.S_ISSOCK(mode) else "special file"


def plan_output(path: str | os.PathLike) -> OutputTarget:
    """Decide how to write ``path`` (see the module docstring), or raise OutputPathError."""
    if os.fspath(path) == "-":
        return OutputTarget(None)
    out = Path(path)
    try:
        st = os.stat(out)
    except FileNotFoundError:
        if os.path.islink(out):
            raise OutputPathError(f"output {out} is a symbolic link to a missing file "
                                  f"({os.readlink(out)}); name the file to write") from None
        st = None
    except NotADirectoryError:
        _check_folder(out)
        raise OutputPathError(f"cannot write {out}: a parent is not a folder") from None
    except OSError as exc:
        raise OutputPathError(f"cannot write {out}: {exc.strerror}") from None
    if st is None:
        _check_folder(out)
        return OutputTarget(out, replace=True, mode=0o666 & ~_umask())
    if stat.S_ISDIR(st.st_mode):
        raise OutputPathError(f"output {out} is a folder; name a file in it, e.g. "
                              f"{out / 'scored.csv'}")
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return OutputTarget(out)
    if not stat.S_ISREG(st.st_mode):
        raise OutputPathError(f"output {out} is a {_kind(st.st_mode)}; vnmod writes regular "
                              "files, FIFOs and character devices only")
    if _STDIO_LINK.fullmatch(os.path.abspath(out)):
        return OutputTarget(out)
    if os.path.islink(out):
        raise OutputPathError(f"output {out} is a symbolic link to {os.path.realpath(out)}; "
                              "vnmod replaces its output file, so name that file itself")
    _check_folder(out)
    return OutputTarget(out, replace=True, mode=stat.S_IMODE(st.st_mode))


@contextlib.contextmanager
def open_output(target: OutputTarget, *, binary: bool = False) -> Iterator[Any]:
    """A UTF-8 text stream (``binary``: a byte stream) for ``target``; a replaced file appears
    only if the block succeeds."""
    if target.path is None:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if binary:
            if buffer is None:
                raise OutputPathError("cannot write binary output to this standard output")
            yield buffer
            buffer.flush()
            return
        if buffer is None:
            yield sys.stdout
            return
        out = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        try:
            yield out
            out.flush()
        finally:
            out.detach()
        return
    if not target.replace:
        try:
            fh = (open(target.path, "ab") if binary  # noqa: SIM115
                  else open(target.path, "a", encoding="utf-8", newline=""))  # noqa: SIM115
        except OSError as exc:
            raise OutputPathError(f"cannot write {target.path}: {exc.strerror}") from None
        with fh:
            yield fh
        return
    folder = Path(os.path.abspath(target.path)).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputPathError(f"cannot write {target.path}: {exc.strerror}"
                              f"{f' ({exc.filename})' if exc.filename else ''}") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, target.mode)
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def stop_cleanly_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`Interrupted` in it.

    Only signals whose action is the default (ending the process) are taken over, and only
    in the main thread. Once the block has unwound (temporary files removed), the process
    ends by the same signal, as it would have without this.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if not fired:  # a second signal during clean-up waits for it
            fired.append(signum)
            raise Interrupted(signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        num = getattr(signal, name, None)
        if num is not None and signal.getsignal(num) is signal.SIG_DFL:
            saved[num] = signal.signal(num, handler)
    try:
        yield
    except Interrupted as exc:
        for num, previous in saved.items():
            signal.signal(num, previous)
        saved = {}
        os.kill(os.getpid(), exc.signum)
        raise SystemExit(128 + exc.signum) from None
    finally:
        for num, previous in saved.items():
            signal.signal(num, previous)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def signals_blocked() -> Iterator[set[int] | None]:
    """Hold SIGINT, SIGTERM and SIGHUP back from the calling thread while the block runs.

    Yields the signal mask to restore (None where threads have no signal masks). Threads and
    processes started in the block begin with these signals blocked: a thread started so never
    takes a signal meant for the process, which the main thread then always gets (a signal
    handled by another thread would leave the main thread asleep in a wait); a forked worker
    sets its own handlers (:func:`reset_signals_in_worker`) before it takes any signal. A
    signal that arrives meanwhile is delivered, and its handler runs, as the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield None
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield previous
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def reset_signals_in_worker(mask: set[int] | None = None) -> None:
    """In a forked worker: die of SIGTERM (and SIGHUP, where the parent handles it), leave
    Ctrl-C to the parent; then unblock signals as ``mask`` (from :func:`signals_blocked`) says."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    hup = getattr(signal, "SIGHUP", None)
    if hup is not None and callable(signal.getsignal(hup)):
        signal.signal(hup, signal.SIG_DFL)
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)

"""Resumable batch output: a partial file beside the output and a checkpoint saying how far it is.

A run that writes a regular file ``OUT`` (not ``-``, a FIFO or a device) writes its rows to a
hidden partial beside it, ``.OUT.XXXX.tmp`` (private to its owner until complete; for Parquet a
folder of part files, each a complete Parquet file), and keeps ``.OUT.resume.json`` up to date:
the rows done, the length of the partial they fill (Parquet: the complete parts), a hash of its
last bytes, the report's counts so far, and fingerprints of the input (size, modification time,
SHA-256 of its first and last MiB), of the options that change the output (formats, evidence,
legal basis, byte-order mark, text column, encoding), of the model (manifest with its file
hashes, thresholds, components) and of vnmod's scoring code and resources. The checkpoint is
replaced atomically after a chunk, once the partial is flushed and fsynced, at most once every
:data:`CHECKPOINT_SECONDS` (Parquet: when a part is complete, every :data:`PART_SECONDS`).

- Success: the partial becomes ``OUT`` (Parquet: the parts are concatenated into it, one row
  group per chunk as before), the checkpoint goes.
- Interrupted (Ctrl-C, SIGTERM, SIGHUP, a scoring worker killed, a full disk): both stay, the
  partial renamed ``.OUT.partial``, the checkpoint covering every chunk written (Parquet: every
  complete part); ``kill -9``, a crash or a power cut leave them as the last checkpoint says.
- Any other failure: both are removed (a rerun would fail the same way), unless the run was a
  resumed one that failed before writing a row: then they stay as they were.
- ``resume=True`` checks every fingerprint (any difference is a :class:`BatchError` naming it,
  and nothing is touched), cuts the partial back to the checkpoint, skips the rows done
  (re-reading the input, streamed) and goes on. Without it a left-over partial is discarded,
  and the run says so. With nothing to resume, a resumed run starts from the first row.

A run holds an exclusive ``flock`` on its partial, so a second run writing the same ``OUT``
is refused while the first is alive. The output's other guarantees are those of
:mod:`vnmod.atomic_output`: ``OUT`` is replaced in one rename, with the mode it had (else
``0o666`` less the umask).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vnmod.atomic_output import (
    Interrupted,
    OutputPathError,
    OutputTarget,
    open_output,
    signals_blocked,
)
from vnmod.batch_input import BatchError

try:
    import fcntl
except ImportError:  # Windows: no locking
    fcntl = None  # type: ignore[assignment]

CHECKPOINT_VERSION = 1
CHECKPOINT_SECONDS = 0.2  # between durable checkpoints at most (fsync + rename)
PART_SECONDS = 5.0  # between Parquet parts at most
HASH_BYTES = 1 << 20  # the input's head and tail hashed into its fingerprint
TAIL_BYTES = 4096  # the partial's last bytes hashed into the checkpoint
KEEP_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})  # full disk: free space, then resume
PART_NAME = "part-{:06d}.parquet"

# What the user changed, in their words, by options key
OPTION_NAMES = {"input_format": "the input's format", "output_format": "the output format "
                "(-o's extension or --format)", "evidence": "--evidence",
                "legal_basis": "--legal-basis", "bom": "the byte-order mark (--excel)",
                "text_column": "the text column (--text-column)",
                "encoding": "the input encoding (--encoding)"}


def checkpoint_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.resume.json")


def stopped_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.partial")


def _sha256_file_part(fh: Any, start: int, size: int) -> str:
    fh.seek(start)
    digest = hashlib.sha256()
    while size > 0:
        block = fh.read(min(size, 1 << 16))
        if not block:
            break
        digest.update(block)
        size -= len(block)
    return digest.hexdigest()


def input_fingerprint(path: Path) -> dict[str, Any]:
    """Size, modification time and SHA-256 of the first and last MiB of the input."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "head_sha256": _sha256_file_part(fh, 0, HASH_BYTES),
                "tail_sha256": _sha256_file_part(fh, max(st.st_size - HASH_BYTES, 0),
                                                 HASH_BYTES)}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_fingerprint(clf: Any) -> str:
    """A hash of what decides a classifier's output: its manifest (file hashes included),
    thresholds, components and what it runs without."""
    components = [(getattr(b, "name", type(b).__name__), w)
                  for b, w in getattr(clf, "components", [])]
    return _digest({"type": f"{type(clf).__module__}.{type(clf).__qualname__}",
                    "manifest": getattr(clf, "manifest", None),
                    "thresholds": getattr(clf, "thresholds", None),
                    "components": components, "degraded": getattr(clf, "degraded", None)})


# vnmod's parts that do not score (commands, training, reports): editing them changes no output
NOT_SCORING = frozenset({"cli.py", "data", "evaluate.py", "modelcard.py", "report", "sklearn.py",
                         "spark.py", "train.py"})


def code_fingerprint() -> str:
    """A hash of vnmod's code and shipped resources, but for :data:`NOT_SCORING` (an upgrade
    or an edit may change the output)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in NOT_SCORING or "__pycache__" in rel.parts or not path.is_file() \
                or path.suffix in (".pyc", ".pyo"):
            continue
        digest.update(rel.as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprint(src: Path, clf: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Everything a resumed run must share with the interrupted one."""
    fp = {"input": input_fingerprint(src), "options": dict(options),
          "model": model_fingerprint(clf), "code": code_fingerprint()}
    return json.loads(json.dumps(fp))  # as a checkpoint reads back (tuples are lists)


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, in words."""
    found = []
    was, now = old.get("input", {}), new["input"]
    if was != now:
        if was.get("size") != now["size"]:
            found.append(f"the input changed since the interrupted run (size "
                         f"{was.get('size', 0):,} -> {now['size']:,} bytes)")
        elif was.get("mtime_ns") != now["mtime_ns"]:
            found.append("the input changed since the interrupted run (modified since)")
        else:
            found.append("the input changed since the interrupted run (its content differs)")
    was_opts, now_opts = old.get("options", {}), new["options"]
    for key in sorted(set(was_opts) | set(now_opts)):
        if was_opts.get(key) != now_opts.get(key):
            found.append(f"{OPTION_NAMES.get(key, key)} was {was_opts.get(key)!r}, now "
                         f"{now_opts.get(key)!r}")
    if old.get("model") != new["model"]:
        found.append("the model differs (--model, --threshold, or the model files changed)")
    if old.get("code") != new["code"]:
        found.append("vnmod itself changed (upgraded or edited) since the interrupted run")
    return found


@dataclass
class Checkpoint:
    """How far a run's partial output is, durably (see the module docstring)."""

    fingerprint: dict[str, Any]
    partial: str  # its name, in the output's folder
    rows: int = 0
    size: int = 0  # bytes of the partial (Parquet: complete parts)
    tail: str = ""  # SHA-256 of the partial's last TAIL_BYTES before ``size``
    counts: dict[str, Any] = field(default_factory=dict)  # the report's counts so far
    run: str = ""
    pid: int = 0
    updated: float = 0.0
    version: int = CHECKPOINT_VERSION

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """The checkpoint at ``path``; None if there is none; BatchError if it is damaged."""
        try:
            data = json.loads(path.read_bytes())
            if data.get("version") != CHECKPOINT_VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            ckpt = cls(**data)
            if not isinstance(ckpt.rows, int) or not isinstance(ckpt.size, int) or \
                    os.path.basename(ckpt.partial) != ckpt.partial:
                raise ValueError("bad fields")
            return ckpt
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise BatchError(f"cannot read the checkpoint {path} ({exc}); run without "
                             "--resume to start over") from None


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd``; False if another process holds one."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: go on unlocked
        return True
    return True


def _open_partial(path: Path, *, write: bool = True) -> int:
    if path.is_dir():
        return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    return os.open(path, os.O_RDWR if write else os.O_RDONLY)


def _in_use(path: Path) -> bool:
    """Whether a live run holds ``path`` (its lock)."""
    try:
        fd = _open_partial(path, write=False)
    except OSError:
        return False
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet"))


def _tail_hash(path: Path, size: int) -> str:
    """SHA-256 of the last TAIL_BYTES of ``path``'s first ``size`` bytes."""
    with open(path, "rb") as fh:
        return _sha256_file_part(fh, max(size - TAIL_BYTES, 0), min(size, TAIL_BYTES))


@dataclass
class ResumePlan:
    """What :func:`plan_resume` found: a checkpoint to go on from (None: start afresh)."""

    checkpoint: Checkpoint | None = None
    partial: Path | None = None
    notes: list[str] = field(default_factory=list)


def plan_resume(out: Path, fp: dict[str, Any], *, resume: bool, parts: bool) -> ResumePlan:
    """Check a left-over run of ``out`` before any work: go on from it (``resume``, same
    fingerprint), or discard it (not ``resume``; noted). Raises BatchError, touching nothing,
    when a live run holds it or it cannot be resumed as asked."""
    ckpt_file = checkpoint_path(out)
    try:
        ckpt = Checkpoint.load(ckpt_file)
    except BatchError:
        if resume:
            raise
        ckpt = None
    partial = None
    if ckpt is not None:
        for name in (ckpt.partial, stopped_path(out).name):  # renamed when it stopped
            if (out.parent / name).exists():
                partial = out.parent / name
                break
    if partial is not None and _in_use(partial):
        raise BatchError(f"another vnmod score run (process {ckpt.pid if ckpt else '?'}) is "
                         f"writing {out} now; wait for it to end or stop it first")
    plan = ResumePlan()
    usable = ckpt is not None and partial is not None and ckpt.rows > 0
    if resume and usable:
        assert ckpt is not None and partial is not None
        found = _differences(ckpt.fingerprint, fp)
        if found:
            raise BatchError(f"cannot resume {out}: " + "; ".join(found) + ". Run it with the "
                             "input and options of the interrupted run, or without --resume "
                             "to start over.")
        if partial.is_dir() != parts:
            raise BatchError(f"cannot resume {out}: its partial output {partial} is not what "
                             "this run writes; run without --resume to start over")
        _check_partial(partial, ckpt)
        plan.checkpoint, plan.partial = ckpt, partial
        return plan
    if resume:
        why = ("no interrupted run of it was found" if ckpt is None else
               "the interrupted run had written no row" if partial is not None else
               "the interrupted run's partial output is gone")
        plan.notes.append(f"nothing to resume for {out} ({why}): scoring from the first row")
    elif usable:
        assert ckpt is not None
        plan.notes.append(f"discarding the partial output of an interrupted run of {out} "
                          f"({ckpt.rows:,} rows done); pass --resume to continue such a run "
                          "instead of starting over")
    for stale in {partial, stopped_path(out)} - {None}:
        assert stale is not None
        if not _in_use(stale):
            _remove(stale)
    if ckpt is not None or ckpt_file.exists():
        with contextlib.suppress(FileNotFoundError):
            ckpt_file.unlink()
    return plan


def _check_partial(partial: Path, ckpt: Checkpoint) -> None:
    """Raise BatchError unless ``partial`` holds what ``ckpt`` says, at least."""
    def damaged(why: str) -> BatchError:
        return BatchError(f"cannot resume: the partial output {partial} {why}; it was changed "
                          "after the run stopped. Run without --resume to start over.")

    if partial.is_dir():
        import pyarrow.parquet as pq

        parts = _parts(partial)[:ckpt.size]
        if [p.name for p in parts] != [PART_NAME.format(i) for i in range(1, ckpt.size + 1)]:
            raise damaged(f"lacks some of its {ckpt.size:,} parts")
        try:
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
        except Exception as exc:  # pyarrow raises several kinds
            raise damaged(f"has a part that cannot be read ({exc})") from None
        if rows != ckpt.rows:
            raise damaged(f"holds {rows:,} rows in its parts, not {ckpt.rows:,}")
        return
    if partial.stat().st_size < ckpt.size:
        raise damaged(f"is shorter than the {ckpt.size:,} bytes checkpointed")
    if _tail_hash(partial, ckpt.size) != ckpt.tail:
        raise damaged("does not end as checkpointed")


def keeps_partial(exc: BaseException) -> bool:
    """Whether a run stopped by ``exc`` may be resumed (an interruption, not a failure)."""
    if isinstance(exc, KeyboardInterrupt | Interrupted | ChildProcessError):
        return True
    return isinstance(exc, OSError) and exc.errno in KEEP_ERRNOS


class ResumableOutput:
    """A regular output file written through a resumable partial (see the module docstring).

    ``writer`` is a :mod:`vnmod.batch_output` writer. Call :meth:`start`, then per chunk
    :meth:`write` and, once the chunk's rows are counted, :meth:`commit`; then :meth:`finish`,
    or :meth:`stop` with the exception that ended the run.
    """

    def __init__(self, target: OutputTarget, writer: Any, fp: dict[str, Any],
                 plan: ResumePlan) -> None:
        assert target.path is not None and target.replace
        self.target, self.writer, self.fp = target, writer, fp
        self.out = target.path
        self.folder = Path(os.path.abspath(self.out)).parent
        self.parts = bool(writer.binary)  # Parquet: a folder of parts
        self.ckpt_file = checkpoint_path(self.out)
        self.run = uuid.uuid4().hex
        self.partial: Path | None = plan.partial
        # Rows done (complete in the partial: its first ``size`` bytes, or ``size`` parts),
        # and the report's counts with them
        self.rows, self.size, self.counts = 0, 0, {}
        if plan.checkpoint is not None:
            ckpt = plan.checkpoint
            self.rows, self.size, self.counts = ckpt.rows, ckpt.size, dict(ckpt.counts)
        self.first_row = self.rows
        self.fh: Any = None  # the partial's stream (Parquet: the open part's)
        self._fd: int | None = None  # the partial's (Parquet: folder's) descriptor, locked
        self._written = 0  # rows written since the last commit
        self._writing = False  # in the writer: an interruption leaves the open part unusable
        self._in_part = 0  # Parquet: rows committed to the open part
        self._part_counts: dict[str, Any] = {}  # the counts with them
        self._last = 0.0  # when the last durable checkpoint was written
        self._saved: tuple[int, int] = (-1, -1)  # the rows and size it says
        self._done = False
        self._created = False  # the partial is this run's own

    # -- running --------------------------------------------------------------------------
    def start(self) -> None:
        """Open (or reopen and cut back) the partial, lock it, write the first checkpoint."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.partial is None:
                prefix, suffix = f".{self.out.name}.", ".tmp"
                if self.parts:
                    self.partial = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix,
                                                         dir=self.folder))
                else:
                    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=self.folder)
                    os.close(fd)
                    self.partial = Path(name)
                self._created = True
            self._fd = _open_partial(self.partial)
        except OSError as exc:
            raise OutputPathError(f"cannot write {self.out}: {exc.strerror}"
                                  f"{f' ({exc.filename})' if exc.filename else ''}") from None
        if not _try_lock(self._fd):
            os.close(self._fd)
            self._fd = None
            raise BatchError(f"another vnmod score run is writing {self.out} now; wait for it "
                             "to end or stop it first")
        if self.parts:
            for part in _parts(self.partial)[self.size:]:  # begun after the checkpoint
                part.unlink()
        else:
            os.ftruncate(self._fd, self.size)  # what was written after the checkpoint
            os.lseek(self._fd, self.size, os.SEEK_SET)
            self.fh = io.TextIOWrapper(open(self._fd, "r+b", closefd=False),  # noqa: SIM115
                                       encoding="utf-8", newline="")
            self.writer.start(self.fh, header=self.rows == 0)
        self._checkpoint(force=True)
        _fsync_folder(self.folder)

    def write(self, rows: list[Any], results: list[dict[str, Any]]) -> None:
        if self.parts and self.fh is None:
            assert self.partial is not None
            self.fh = open(self.partial / PART_NAME.format(self.size + 1), "wb")  # noqa: SIM115
            self.writer.start(self.fh)
        self._writing = True
        self.writer.write(rows, results)
        self._writing = False
        self._written += len(rows)

    def commit(self, counts: dict[str, Any]) -> None:
        """The rows written since the last commit are complete, and ``counts`` (the report's
        counts) include them: a durable checkpoint follows when one is due."""
        if self.parts:
            self._in_part, self._written = self._in_part + self._written, 0
            self._part_counts = counts
            if time.monotonic() - self._last >= PART_SECONDS:
                with signals_blocked():  # a part is complete or not begun
                    self._close_part()
                    self._checkpoint()
            return
        self.fh.flush()
        assert self._fd is not None
        self.rows, self._written = self.rows + self._written, 0
        self.size = os.lseek(self._fd, 0, os.SEEK_CUR)
        self.counts = counts
        if time.monotonic() - self._last >= CHECKPOINT_SECONDS:
            self._checkpoint()

    def _close_part(self) -> None:
        """Complete the open Parquet part (footer written, fsynced): its rows are done."""
        if self.fh is None:
            return
        self.writer.finish()
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self.fh = None
        self.size += 1
        self.rows, self._in_part = self.rows + self._in_part, 0
        self.counts = self._part_counts

    def _checkpoint(self, *, force: bool = False) -> None:
        """Make the partial durable up to ``size`` and say so in the checkpoint file."""
        if not force and self._saved == (self.rows, self.size):
            return
        assert self.partial is not None and self._fd is not None
        with signals_blocked():
            os.fsync(self._fd)  # the data (Parquet: the folder's entries; parts are synced)
            tail = "" if self.parts else _tail_hash(self.partial, self.size)
            ckpt = Checkpoint(self.fp, self.partial.name, self.rows, self.size, tail,
                              self.counts, self.run, os.getpid(), time.time())
            _write_atomically(self.ckpt_file, json.dumps(asdict(ckpt), ensure_ascii=False),
                              self.target.mode)
        self._saved = (self.rows, self.size)
        self._last = time.monotonic()

    # -- ending ---------------------------------------------------------------------------
    def finish(self) -> None:
        """Every row is written: put the output in place, remove the partial and checkpoint."""
        assert self.partial is not None and self._fd is not None
        if self.parts:
            self._close_part()
            self._checkpoint()  # every part durable: a stopped concatenation resumes here
            with open_output(self.target, binary=True) as fh:
                self.writer.merge(_parts(self.partial), fh)
            with signals_blocked():
                self._done = True
                self._release()
                _remove(self.partial)
                self._drop_checkpoint()
            return
        self.writer.finish()
        self.fh.flush()
        with signals_blocked():
            if hasattr(os, "fchmod"):
                os.fchmod(self._fd, self.target.mode)
            os.fsync(self._fd)
            os.replace(self.partial, self.out)
            self._done = True
            self._release()
            self._drop_checkpoint()
            _fsync_folder(self.folder)

    def stop(self, exc: BaseException) -> str | None:
        """The run ended with ``exc``: keep the partial for a resume if ``exc`` interrupted it
        and rows are done (or, resumed, it wrote none), else remove it. Returns a note for the
        user, if any."""
        with signals_blocked():
            if self._done:
                self._drop_checkpoint()
                return None
            if self.parts and self.fh is not None and not self._writing and not self._written \
                    and keeps_partial(exc):
                with contextlib.suppress(Exception):  # stopped between chunks: keep the part
                    self._close_part()
            with contextlib.suppress(Exception):
                self.writer.abort()
            if self.partial is None or self._fd is None:  # never opened (or not locked)
                if self.partial is not None and self._created:
                    _remove(self.partial)
                return None
            open_part = Path(self.fh.name) if self.parts and self.fh is not None else None
            self._close()  # what it writes lies beyond ``size``: cut off on resume
            if open_part is not None:  # an incomplete part: its rows are redone
                open_part.unlink(missing_ok=True)
            keep = ((keeps_partial(exc) and self.rows > 0)
                    or (self.first_row > 0 and self.rows == self.first_row))
            if not keep:
                self._release()
                _remove(self.partial)
                self._drop_checkpoint()
                return None
            with contextlib.suppress(OSError):  # a full disk: the last checkpoint stands
                self._checkpoint()
            self._release()
            stopped = stopped_path(self.out)
            if self.partial != stopped:
                with contextlib.suppress(OSError):
                    os.replace(self.partial, stopped)
                    self.partial = stopped
                    self._rename_in_checkpoint()
        return (f"stopped after {self.rows:,} rows, which are kept in {self.partial}; run "
                "the same command with --resume to go on from there (without it, the next run "
                "starts over)")

    def _rename_in_checkpoint(self) -> None:
        assert self.partial is not None
        with contextlib.suppress(OSError, BatchError):
            ckpt = Checkpoint.load(self.ckpt_file)
            if ckpt is not None and ckpt.run == self.run:
                ckpt.partial = self.partial.name
                _write_atomically(self.ckpt_file, json.dumps(asdict(ckpt), ensure_ascii=False),
                                  self.target.mode)

    def _close(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(Exception):
                self.fh.close()
            self.fh = None

    def _release(self) -> None:
        self._close()
        if self._fd is not None:
            os.close(self._fd)  # and with it the lock
            self._fd = None

    def _drop_checkpoint(self) -> None:
        """Remove the checkpoint if it is this run's (another run may have written its own)."""
        with contextlib.suppress(OSError, BatchError):
            ckpt = Checkpoint.load(self.ckpt_file)
            if ckpt is not None and ckpt.run == self.run:
                self.ckpt_file.unlink()


def _write_atomically(path: Path, text: str, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

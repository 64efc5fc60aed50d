"""Read CSV and JSONL input for batch scoring without losing or moving a record.

Encoding
    ``encoding=`` (``--encoding``) wins when given. Otherwise a byte-order mark decides
    (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), and a file without one must be UTF-8. The first MiB
    is checked: when its invalid UTF-8 bytes outnumber its valid non-ASCII characters ("café"
    in Latin-1, any cp1258, VNI or TCVN3 file), or when a tenth or more of its bytes are NUL
    (UTF-16/32 without a mark), reading stops with a :class:`BatchError` that names the
    encoding charset-normalizer detects and suggests ``--encoding``. Fewer invalid bytes than
    that are damage in a UTF-8 file: each becomes U+FFFD and the row's status says so.

CSV
    Records are parsed in the csv module's strict mode, one physical line at a time. A
    quoting error (a closing quote followed by text, a quoted field still open at the end of
    the file, or a quoted field running over :data:`MAX_RECORD_LINES` lines) is recovered, not
    fatal: the record's first line becomes a row of its own (parsed leniently) with a status
    naming the line, and reading resumes at the next line. A stray quote thus costs one
    flagged row instead of swallowing every row after it, and no line is lost: an analyst
    gets every post back and a status pointing at the line to check. A row with fewer cells
    than the header is padded; extra cells are kept apart (:attr:`Row.extra`, written as a
    JSON list in the ``_extra`` column); both are said in the row's status.

Parquet
    Read through pyarrow (the ``parquet`` extra) by record batches, one row per record, every
    column as stored (:func:`open_parquet`).

JSONL
    One record per ``\\n``-terminated line. A line that is not valid JSON, or not a JSON
    object, becomes ``{"_raw": line}`` with an ``invalid: ...`` status; a lone surrogate
    escape (``"\\ud800"``) becomes U+FFFD, and the status says so.

The readers raise :class:`BatchError` (a clean one-line message) and nothing else for
anything in the file's bytes; the rest becomes rows with statuses.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

SAMPLE_BYTES = 1 << 20  # read to choose the encoding
NUL_SHARE = 0.10  # this share of NUL bytes or more: UTF-16/32, not UTF-8
MAX_RECORD_LINES = 1000  # a quoted CSV field over this many lines is a quoting error
OVERFLOW_COLUMN = "_extra"  # holds a CSV row's cells beyond the header, as a JSON list

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = "vnmod-escape"


class BatchError(ValueError):
    """The input cannot be scored as asked (no text column, not UTF-8, same file in and out...)."""


def _escape_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each undecodable byte ``b`` becomes the lone surrogate U+DC00+b."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_ESCAPE, _escape_bad_bytes)


def replace_surrogates(value: str) -> tuple[str, bool]:
    """``value`` with lone surrogates (undecodable bytes, JSON escapes) as U+FFFD; any found."""
    if _SURROGATE.search(value) is None:
        return value, False
    return _SURROGATE.sub("\ufffd", value), True


def _detected(head: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(head[:65536]).best()
    return best.encoding if best is not None else None


def _not_utf8(name: str, head: bytes, why: str) -> BatchError:
    guess = _detected(head)
    seen = f"it looks like {guess}" if guess else "charset-normalizer cannot tell its encoding"
    return BatchError(
        f"{name} is not UTF-8 ({why}); {seen}. Nothing was written: read as UTF-8 its "
        f"accented letters would come out as U+FFFD. Pass --encoding {guess or 'NAME'} "
        "(encoding= in Python) with the file's encoding, or --encoding utf-8 to read it as "
        "UTF-8 anyway, each invalid byte replaced and its row marked.")


def choose_encoding(head: bytes, at_eof: bool, wanted: str | None = None,
                    name: str = "the input") -> str:
    """The codec to read a file starting with ``head`` (its first bytes) with.

    ``wanted`` overrides the choice; otherwise a byte-order mark decides, else UTF-8, unless
    ``head`` is mostly something else (see the module docstring), which raises BatchError.
    """
    if wanted is not None:
        try:
            io.TextIOWrapper(io.BytesIO(), encoding=wanted)
        except LookupError as exc:
            raise BatchError(f"unknown text encoding {wanted!r} ({exc})") from None
        is_utf8 = codecs.lookup(wanted).name == "utf-8"
        return "utf-8-sig" if is_utf8 and head.startswith(codecs.BOM_UTF8) else wanted
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if head and head.count(0) >= NUL_SHARE * len(head):
        raise _not_utf8(name, head, f"{head.count(0):,} of its first {len(head):,} bytes are "
                                    "NUL, as in UTF-16 or UTF-32 without a byte-order mark")
    text = codecs.getincrementaldecoder("utf-8")(_ESCAPE).decode(head, final=at_eof)
    invalid = len(_SURROGATE.findall(text))
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    if invalid > valid:
        raise _not_utf8(name, head, f"{invalid:,} invalid UTF-8 bytes against {valid:,} valid "
                                    f"non-ASCII letters in its first {len(head):,} bytes")
    return "utf-8"


class DecodedInput:
    """An input file opened as text in the encoding :func:`choose_encoding` picks."""

    def __init__(self, path: str | os.PathLike, *, encoding: str | None = None,
                 newline: str = "") -> None:
        self.raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            head = self.raw.read(SAMPLE_BYTES)
            at_eof = not self.raw.peek(1) if hasattr(self.raw, "peek") else True
            self.encoding = choose_encoding(head, at_eof, encoding, os.fspath(path))
            self.raw.seek(0)
            self.text: TextIO = io.TextIOWrapper(self.raw, encoding=self.encoding,
                                                 errors=_ESCAPE, newline=newline)
        except BaseException:
            self.raw.close()
            raise
        self.bom = any(head.startswith(bom) for bom, _ in _BOMS)
        utf8 = codecs.lookup(self.encoding).name in ("utf-8", "utf-8-sig")
        self.bad_bytes = ("invalid UTF-8 bytes replaced" if utf8
                          else f"bytes invalid in {self.encoding} replaced")

    @property
    def position(self) -> int:
        """Bytes read so far (for progress)."""
        return self.raw.tell()

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> DecodedInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Row:
    """One input record, in file order.

    ``values`` are the CSV cells (padded to the header) or the JSONL object. ``problems``
    are notes for the status; ``invalid``, when set, replaces the status (the record could
    not be read as a record). ``present`` counts the CSV cells actually read.
    """

    line: int
    values: Any
    problems: list[str] = field(default_factory=list)
    invalid: str | None = None
    extra: list[str] = field(default_factory=list)
    present: int = 0


class _RunawayRecord(Exception):
    """A quoted CSV field ran over MAX_RECORD_LINES lines."""


class _Lines:
    """Physical lines for the csv module, numbered, with the current record's lines kept."""

    def __init__(self, stream: TextIO, max_record_lines: int) -> None:
        self._stream, self._max = stream, max_record_lines
        self._number = 0
        self._pending: list[tuple[int, str]] = []  # lines to read again, last first
        self.record: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pending:
            item = self._pending.pop()
        else:
            text = self._stream.readline()
            if not text:
                raise StopIteration
            self._number += 1
            item = (self._number, text)
        self.record.append(item)
        if len(self.record) > self._max:
            raise _RunawayRecord
        return item[1]

    def take_record(self) -> list[tuple[int, str]]:
        record, self.record = self.record, []
        return record

    def read_again(self, lines: list[tuple[int, str]]) -> None:
        self._pending.extend(reversed(lines))


def _lenient_cells(line: str) -> list[str]:
    """One line's cells with quotes taken as loosely as the csv module allows."""
    line = line.rstrip("\r\n")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return [line]


def _quoting_problem(exc: Exception, first: int, last: int, max_lines: int) -> str:
    if isinstance(exc, _RunawayRecord):
        why = f"a quoted field runs over {max_lines:,} lines"
    elif "unexpected end of data" in str(exc):
        why = "a quote opened here is still open at the end of the file"
    else:
        why = f"line {last}: {exc}"
    return f"CSV quoting error at line {first} ({why}); the line is kept as a row of its own"


def read_csv_records(stream: TextIO, *, max_record_lines: int = MAX_RECORD_LINES
                     ) -> Iterator[Row]:
    """Every CSV record as it stands in the file (header first), quoting errors recovered."""
    lines = _Lines(stream, max_record_lines)
    while True:
        try:
            for cells in csv.reader(lines, strict=True):
                yield Row(lines.take_record()[0][0], cells, present=len(cells))
            return
        except (csv.Error, _RunawayRecord) as exc:
            record = lines.take_record()
            if not record:  # nothing consumed: cannot happen, but never loop
                raise BatchError(f"cannot read the CSV input: {exc}") from None
            (number, text), rest = record[0], record[1:]
            lines.read_again(rest)
            cells = _lenient_cells(text)
            problem = _quoting_problem(exc, number, record[-1][0], max_record_lines)
            yield Row(number, cells, [problem], present=len(cells))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@dataclass
class CsvTable:
    """A CSV input: its header, the overflow column's name, and its rows fitted to the header."""

    header: list[str]
    overflow: str
    rows: Iterator[Row]


def read_csv_table(inp: DecodedInput, *, max_record_lines: int = MAX_RECORD_LINES
                   ) -> CsvTable:
    """The header and the data rows of a CSV input, every cell free of lone surrogates."""
    records = read_csv_records(inp.text, max_record_lines=max_record_lines)
    first = next(records, None)
    if first is None:
        raise BatchError("the input file is empty: no header row")
    if first.problems:
        raise BatchError(f"cannot read the header row: {first.problems[0]}")
    header = [replace_surrogates(c)[0] for c in first.values]
    overflow = OVERFLOW_COLUMN if OVERFLOW_COLUMN not in header else f"vnmod_{OVERFLOW_COLUMN}"
    return CsvTable(header, overflow, _fit(records, len(header), overflow, inp.bad_bytes))


def _fit(records: Iterator[Row], width: int, overflow: str, bad_bytes: str) -> Iterator[Row]:
    for row in records:
        pairs = [replace_surrogates(c) for c in row.values]
        cells = [c for c, _ in pairs]
        if any(damaged for _, damaged in pairs):
            row.problems.append(bad_bytes)
        n = len(cells)
        if n == 0:
            row.problems.append("blank line")
        elif n < width:
            row.problems.append(f"{_plural(n, 'cell')} for {_plural(width, 'column')}: "
                                "padded with empty cells")
        elif n > width:
            row.problems.append(f"{_plural(n, 'cell')} for {_plural(width, 'column')}: "
                                f"the extra cells are in {overflow}")
        row.values = cells[:width] + [""] * (width - n)
        row.extra = cells[width:]
        yield row


def _without_surrogates(value: Any) -> tuple[Any, bool]:
    """A parsed JSON value with lone surrogates in its strings (keys too) replaced."""
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, list):
        pairs = [_without_surrogates(v) for v in value]
        return [v for v, _ in pairs], any(found for _, found in pairs)
    if isinstance(value, dict):
        out, found = {}, False
        for k, v in value.items():
            (k2, fk), (v2, fv) = replace_surrogates(k), _without_surrogates(v)
            out[k2] = v2
            found = found or fk or fv
        return out, found
    return value, False


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def read_jsonl(inp: DecodedInput) -> Iterator[Row]:
    """Every line of a JSONL input as a row, in order (open ``inp`` with ``newline="\\n"``)."""
    for number, raw in enumerate(iter(inp.text.readline, ""), 1):
        line, damaged = replace_surrogates(raw.rstrip("\r\n"))
        problems = [inp.bad_bytes] if damaged else []
        if not line.strip():
            yield Row(number, {}, [*problems, "blank line"])
            continue
        try:
            value = json.loads(line, strict=False)
        except (ValueError, RecursionError) as exc:
            yield Row(number, {"_raw": line}, problems,
                      invalid=f"invalid: line {number} is not valid JSON ({exc})")
            continue
        if not isinstance(value, dict):
            yield Row(number, {"_raw": line}, problems,
                      invalid=f"invalid: line {number} is a JSON {_json_kind(value)}, "
                              "not an object")
            continue
        if "\\u" in line:  # only an escape can carry a lone surrogate here
            try:
                value, lone = _without_surrogates(value)
            except RecursionError:
                yield Row(number, {"_raw": line}, problems,
                          invalid=f"invalid: line {number} nests too deeply")
                continue
            if lone:
                problems.append("unpaired surrogate escape replaced by U+FFFD")
        yield Row(number, value, problems)


# ------------------------------------------------------------------------------ Parquet

PARQUET_HINT = 'pip install "vnmod[parquet]"'
_PARQUET_MAGIC = b"PAR1"
INPUT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
                  ".parquet": "parquet", ".pq": "parquet"}


def require_pyarrow(why: str) -> Any:
    """``pyarrow.parquet``, or a BatchError naming the extra that installs it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchError(f"{why} needs pyarrow, which is not installed; install it with "
                         f"{PARQUET_HINT} (or pip install pyarrow)") from None
    return pq


def input_format(path: str | os.PathLike) -> str:
    """``csv``, ``jsonl`` or ``parquet``: from the extension, else from the first bytes."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix in INPUT_SUFFIXES:
        return INPUT_SUFFIXES[suffix]
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    for bom, _ in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):].decode(_codec_of(bom), "ignore").encode("utf-8")
            break
    return "jsonl" if head.lstrip().startswith(b"{") else "csv"


def _codec_of(bom: bytes) -> str:
    return {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16-le",
            codecs.BOM_UTF16_BE: "utf-16-be", codecs.BOM_UTF32_LE: "utf-32-le",
            codecs.BOM_UTF32_BE: "utf-32-be"}[bom]


@dataclass
class ParquetTable:
    """A Parquet input: its schema (pyarrow), row count and rows (``values``: a dict)."""

    schema: Any
    num_rows: int
    rows: Iterator[Row]
    read: list[int]  # rows read so far, in a list so that readers see it change


def open_parquet(path: str | os.PathLike, *, batch_size: int = 2000) -> ParquetTable:
    """The rows of a Parquet file, streamed by record batches (``iter_batches``)."""
    pq = require_pyarrow("reading Parquet")
    import pyarrow as pa

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise BatchError(f"cannot read {os.fspath(path)} as Parquet: {exc}") from None
    schema = pf.schema_arrow
    names = list(schema.names)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BatchError(f"{os.fspath(path)} has several columns named {dupes}; vnmod needs "
                         "distinct column names to keep every one")
    read = [0]

    def rows() -> Iterator[Row]:
        try:
            for batch in pf.iter_batches(batch_size=max(1, batch_size)):
                for record in batch.to_pylist():
                    read[0] += 1
                    yield Row(read[0], record)
        except (pa.ArrowException, OSError) as exc:
            raise BatchError(f"cannot read {os.fspath(path)} past row {read[0]:,}: "
                             f"{exc}") from None

    return ParquetTable(schema, pf.metadata.num_rows, rows(), read)

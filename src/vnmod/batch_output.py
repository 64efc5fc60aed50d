"""Lay scored rows out as CSV, JSONL or Parquet, whatever format they were read from.

The format follows the output's extension (``.csv``; ``.jsonl``, ``.ndjson``, ``.json``;
``.parquet``, ``.pq``) unless one is asked for; ``-``, a FIFO or a device, or a name without an
extension gets the input's format. Every writer puts each input row's columns first, then
the result columns (:func:`result_columns`); a result column whose name the input already uses
is written as ``vnmod_<name>``.

CSV
    Every value as text: ``labels`` joined with ``;``, ``evidence`` as JSON, ``legal_basis``
    as one line per flag; cells that a spreadsheet would run as a formula are defused
    (:func:`defuse`). Input columns of a JSONL or Parquet input become text (lists and
    objects as JSON). The CSV header of a JSONL input holds the keys of its first records;
    keys that appear only later go, as a JSON object, to the ``_extra`` column, which for a
    CSV input holds (as a JSON list) the cells beyond the header. A UTF-8 byte-order mark is
    written when the input had one, or when asked (``excel``).
JSONL
    One object per row: a JSONL input's record as it was, or a CSV/Parquet row as an object;
    ``labels`` a list, scores numbers, ``evidence`` a list of objects, ``legal_basis`` a list
    of objects (``null`` for an unflagged row).
Parquet
    Written with pyarrow's ``ParquetWriter``, one row group per chunk. A Parquet input's
    columns keep their types; a CSV input's columns are strings and ``_extra`` a list of
    strings. A JSONL input's keys are typed from its first records (strings, integers,
    floats or booleans; anything else, or a mix, is a string column holding JSON for
    non-strings), and a later value that does not fit its column's type is kept, with any
    key not among the columns, in ``_extra`` (a JSON object), which the row's status says.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, TextIO

from vnmod.batch_input import BatchError, Row, require_pyarrow
from vnmod.taxonomy import CATEGORIES, as_date
from vnmod.taxonomy import legal_basis as _references_in_force  # not the legal_basis flag

FORMATS = ("csv", "jsonl", "parquet")
EVIDENCE_MODES = ("full", "short", "none")
OUTPUT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
                   ".parquet": "parquet", ".pq": "parquet"}
_ALIASES = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}
SCORE_COLUMNS = tuple(f"score_{c}" for c in CATEGORIES)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Line breaks to str.splitlines() and JavaScript, escaped in JSONL output (only strings hold them)
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


_FORMULA_FIRST = frozenset(FORMULA_START)  # one character each: what a cell's first may be


def defuse(cell: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (a leading quote), numbers aside."""
    if cell.startswith(FORMULA_START):
        try:
            float(cell)
            return cell
        except ValueError:
            return "'" + cell
    return cell


def normalise_format(fmt: str) -> str:
    name = fmt.lower().lstrip(".")
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise BatchError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return name


def output_format(output_path: str | os.PathLike, fmt: str | None, input_kind: str, *,
                  special: bool = False) -> str:
    """The format to write: ``fmt``, else the output's extension, else the input's format."""
    if fmt:
        return normalise_format(fmt)
    path = os.fspath(output_path)
    if path == "-":
        return input_kind
    suffix = os.path.splitext(path)[1].lower()
    if suffix in OUTPUT_SUFFIXES:
        return OUTPUT_SUFFIXES[suffix]
    if not suffix or special:
        return input_kind
    raise BatchError(f"cannot tell the output format from {os.path.basename(path)!r}; name it "
                     ".csv, .jsonl or .parquet, or pass --format csv|jsonl|parquet")


def result_columns(evidence: str, legal_basis: bool) -> list[str]:
    """The columns added to every row, in order."""
    cols = ["label", "labels", *SCORE_COLUMNS]
    if evidence in ("full", "short"):
        cols.append("reason")
    if evidence == "full":
        cols.append("evidence")
    if legal_basis:
        cols.append("legal_basis")
    return [*cols, "text_sha256", "status"]


@cache
def _basis_records(category: str, day: dt.date) -> tuple[dict[str, Any], ...]:
    """The legal references of ``category`` in force on ``day``, as records (cached)."""
    return tuple({"category": category, **ref.to_dict()} for ref in
                 _references_in_force(category, day))


@cache
def _basis_line(category: str, day: dt.date) -> str:
    """``category: ref; ref`` for the references in force on ``day`` (cached)."""
    return f"{category}: " + "; ".join(str(r) for r in _references_in_force(category, day))


def legal_basis_records(labels: list[str],
                        as_of: dt.date | None = None) -> list[dict[str, Any]] | None:
    """The legal references of each flagged category in force on ``as_of`` (the post's date;
    None: today), or None for an unflagged row."""
    if not labels:
        return None
    day = as_date(as_of)
    return [dict(r) for c in labels for r in _basis_records(c, day)]


def legal_basis_text(labels: list[str], as_of: dt.date | None = None) -> str:
    """One line per flagged category: its references in force on ``as_of`` (None: today)."""
    day = as_date(as_of)
    return " | ".join(_basis_line(c, day) for c in labels)


def _json_default(value: Any) -> Any:
    """JSON for the values pyarrow reads that json cannot write (dates, decimals, bytes)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(data).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def cell_text(value: Any) -> str:
    """A value of a JSONL or Parquet input as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return to_json(value)
    encoded = _json_default(value)
    return encoded if isinstance(encoded, str) else str(encoded)


def unique_names(names: list[str]) -> list[str]:
    """``names`` with repeats made distinct (``id``, ``id.1``), for outputs keyed by name."""
    seen: set[str] = set()
    out = []
    for name in names:
        new, i = name, 0
        while new in seen:
            i += 1
            new = f"{name}.{i}"
        seen.add(new)
        out.append(new)
    return out


@dataclass
class InputShape:
    """What a writer needs to know of the input before the first row.

    ``columns``: the input's columns in order (a JSONL input: the keys of its first records).
    ``overflow``: the column for anything beyond them (None: a Parquet input, which has no
    beyond). ``schema``: a Parquet input's pyarrow schema. ``samples``: a JSONL input's first
    records, to type Parquet columns by.
    """

    kind: str
    columns: list[str]
    overflow: str | None
    schema: Any = None
    samples: list[Row] = field(default_factory=list)
    bom: bool = False


class _Writer:
    binary = False

    def __init__(self, shape: InputShape, evidence: str, legal_basis: bool) -> None:
        self.shape = shape
        self.fields = result_columns(evidence, legal_basis)
        taken = {*shape.columns, *([shape.overflow] if shape.overflow else [])}
        self.names = [f"vnmod_{f}" if f in taken else f for f in self.fields]

    def start(self, fh: Any, *, header: bool = True) -> None:
        """Write to ``fh`` from now on; ``header=False``: it already holds the header and
        rows (a resumed run), so write neither a byte-order mark nor a header."""
        raise NotImplementedError

    def write(self, rows: list[Row], results: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once every row is written (not after a failure)."""

    def abort(self) -> None:
        """Called instead of finish() when writing stopped part way."""


class CsvWriter(_Writer):
    def __init__(self, shape: InputShape, evidence: str, legal_basis: bool, *,
                 bom: bool = False) -> None:
        super().__init__(shape, evidence, legal_basis)
        self.bom = bom
        self._known = set(shape.columns)

    def start(self, fh: TextIO, *, header: bool = True) -> None:
        # A chunk's rows are laid out in memory and written to ``fh`` at once: one write
        # per chunk, not one per row (each write to a text file is work of its own).
        self._fh = fh
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        if not header:
            return
        if self.bom:
            fh.write("\ufeff")
        over = [self.shape.overflow] if self.shape.overflow else []
        self._csv.writerow([defuse(c) for c in [*self.shape.columns, *over, *self.names]])
        self._flush()

    def _flush(self) -> None:
        self._fh.write(self._buffer.getvalue())
        self._buffer.seek(0)
        self._buffer.truncate()

    @staticmethod
    def _cell(name: str) -> Callable[[dict[str, Any]], str]:
        """How the result column ``name`` is written as text (chosen once, used per row)."""
        if name == "labels":
            return lambda res: ";".join(res["labels"])
        if name.startswith("score_"):
            category = name[6:]
            return lambda res: str(res["scores"][category])
        if name == "evidence":
            return lambda res: to_json(res["evidence"])
        if name == "legal_basis":
            return lambda res: legal_basis_text(res["labels"], res.get("as_of"))
        if name == "text_sha256":
            return lambda res: res[name] or ""  # no text, no hash
        return lambda res: res[name]

    def write(self, rows: list[Row], results: list[dict[str, Any]]) -> None:
        cells_of = [self._cell(f) for f in self.fields]
        first = _FORMULA_FIRST
        for row, res in zip(rows, results, strict=True):
            if isinstance(row.values, list):
                cells = row.values
                extra = to_json(row.extra) if row.extra else ""
            else:
                cells = [cell_text(row.values.get(c)) for c in self.shape.columns]
                rest = {k: v for k, v in row.values.items() if k not in self._known}
                extra = to_json(rest) if rest else ""
            over = [extra] if self.shape.overflow else []
            # defuse() only where a cell starts like a formula: most cells do not.
            self._csv.writerow([defuse(c) if c[:1] in first else c for c in
                                [*cells, *over, *[cell(res) for cell in cells_of]]])
        self._flush()


def result_values(fields: list[str], res: dict[str, Any]) -> dict[str, Any]:
    """The result columns ``fields`` of one row as typed values (JSONL, Parquet, Spark):
    scores as numbers, lists as lists, the legal basis of the row's date (``res["as_of"]``)."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.startswith("score_"):
            out[f] = res["scores"][f[6:]]
        elif f == "legal_basis":
            out[f] = legal_basis_records(res["labels"], res.get("as_of"))
        else:
            out[f] = res[f]
    return out


class JsonlWriter(_Writer):
    def __init__(self, shape: InputShape, evidence: str, legal_basis: bool) -> None:
        super().__init__(shape, evidence, legal_basis)
        self._keys = unique_names(shape.columns) if shape.kind == "csv" else shape.columns

    def start(self, fh: TextIO, *, header: bool = True) -> None:
        self._fh = fh

    def write(self, rows: list[Row], results: list[dict[str, Any]]) -> None:
        lines = []
        for row, res in zip(rows, results, strict=True):
            if isinstance(row.values, dict):
                record = row.values
            else:
                record = dict(zip(self._keys, row.values, strict=True))
                if row.extra and self.shape.overflow:
                    record[self.shape.overflow] = row.extra
            fields = result_values(self.fields, res)
            out = {**record, **{(f"vnmod_{k}" if k in record else k): v
                                for k, v in fields.items()}}
            lines.append(to_json(out).translate(_LINE_BREAKS) + "\n")
        self._fh.write("".join(lines))


# ------------------------------------------------------------------------------ Parquet

def _json_kind(values: list[Any]) -> str:
    """The Parquet column kind for a JSONL key with these first values."""
    seen = {type(v) for v in values if v is not None}
    if seen == {bool}:
        return "bool"
    if seen == {int}:
        return "int"
    if seen and seen <= {int, float}:
        return "float"
    return "string"


_MISFIT = object()


def _fit(kind: str, value: Any) -> Any:
    """``value`` as a value of a column of ``kind``, or _MISFIT."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else to_json(value)
    if isinstance(value, bool):
        return value if kind == "bool" else _MISFIT
    if kind == "int" and isinstance(value, int) and -2**63 <= value < 2**63:
        return value
    if kind == "float" and isinstance(value, int | float) and not (
            isinstance(value, int) and abs(value) > 2**53):
        return float(value)
    return _MISFIT


class ParquetWriter(_Writer):
    binary = True

    def __init__(self, shape: InputShape, evidence: str, legal_basis: bool) -> None:
        super().__init__(shape, evidence, legal_basis)
        self._pq = require_pyarrow("writing Parquet")
        import pyarrow as pa

        self._pa = pa
        self._known = set(shape.columns)
        self._kinds: list[str] = []
        if shape.schema is not None:
            inputs = list(shape.schema)
        elif shape.kind == "csv":
            self._keys = unique_names(shape.columns)
            inputs = [pa.field(n, pa.string()) for n in self._keys]
            inputs.append(pa.field(shape.overflow, pa.list_(pa.string())))
        else:
            types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(),
                     "string": pa.string()}
            samples = [r.values for r in shape.samples if r.invalid is None]
            self._kinds = [_json_kind([s.get(c) for s in samples]) for c in shape.columns]
            inputs = [pa.field(c, types[k]) for c, k in zip(shape.columns, self._kinds,
                                                            strict=True)]
            inputs.append(pa.field(shape.overflow, pa.string()))
        evidence_t = pa.list_(pa.struct([
            ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
            ("category", pa.string()), ("rule", pa.string()), ("weight", pa.float64())]))
        basis_t = pa.list_(pa.struct([
            ("category", pa.string()), ("instrument_key", pa.string()), ("number", pa.string()),
            ("instrument", pa.string()), ("article", pa.string()), ("summary", pa.string()),
            ("in_force_from", pa.string()), ("in_force_until", pa.string()),
            ("verify", pa.bool_()), ("verify_note", pa.string()), ("source", pa.string())]))
        types = {"labels": pa.list_(pa.string()), "evidence": evidence_t,
                 "legal_basis": basis_t, **{s: pa.float64() for s in SCORE_COLUMNS}}
        outputs = [pa.field(n, types.get(f, pa.string()))
                   for f, n in zip(self.fields, self.names, strict=True)]
        self.schema = pa.schema([*inputs, *outputs])
        self._n_inputs = len(inputs)

    def start(self, fh: Any, *, header: bool = True) -> None:
        """A new Parquet file in ``fh`` (every file has its own footer: no header to skip)."""
        self._out = self._pq.ParquetWriter(fh, self.schema)

    def _input_columns(self, rows: list[Row], results: list[dict[str, Any]]) -> list[list]:
        shape = self.shape
        if shape.schema is not None:
            return [[r.values.get(c) for r in rows] for c in shape.columns]
        if shape.kind == "csv":
            cols = [list(c) for c in zip(*(r.values for r in rows), strict=True)] or \
                [[] for _ in shape.columns]
            return [*cols, [r.extra for r in rows]]
        cols: list[list] = [[] for _ in shape.columns]
        extras = []
        for row, res in zip(rows, results, strict=True):
            rest = {k: v for k, v in row.values.items() if k not in self._known}
            misfits = []
            for i, (c, kind) in enumerate(zip(shape.columns, self._kinds, strict=True)):
                value = _fit(kind, row.values.get(c))
                if value is _MISFIT:
                    rest[c] = row.values[c]
                    misfits.append(c)
                    value = None
                cols[i].append(value)
            if misfits:
                res["status"] += (f"; {', '.join(map(repr, misfits))} did not fit the "
                                  f"column type: kept in {shape.overflow}")
            extras.append(to_json(rest) if rest else None)
        return [*cols, extras]

    def write(self, rows: list[Row], results: list[dict[str, Any]]) -> None:
        pa = self._pa
        data = self._input_columns(rows, results)
        data += [[result_values([f], res)[f] for res in results] for f in self.fields]
        try:
            arrays = [pa.array(col, type=f.type) for col, f in zip(data, self.schema,
                                                                   strict=True)]
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise BatchError(f"cannot write these rows as Parquet: {exc}") from None
        self._out.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def finish(self) -> None:
        self._out.close()

    def merge(self, parts: list[Any], fh: Any) -> None:
        """Write the Parquet files ``parts`` (written by this writer) to ``fh`` as one file,
        row group by row group: the file one run without parts would have written."""
        out = self._pq.ParquetWriter(fh, self.schema)
        try:
            for part in parts:
                pf = self._pq.ParquetFile(part)
                for i in range(pf.num_row_groups):
                    table = pf.read_row_group(i)
                    if not table.schema.equals(self.schema, check_metadata=False):
                        table = table.cast(self.schema)
                    out.write_table(table)
        finally:
            out.close()

    def abort(self) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            with contextlib.suppress(Exception):  # the output is being thrown away
                out.close()


def make_writer(kind: str, shape: InputShape, *, evidence: str, legal_basis: bool,
                bom: bool = False) -> _Writer:
    if kind == "csv":
        return CsvWriter(shape, evidence, legal_basis, bom=bom)
    if kind == "jsonl":
        return JsonlWriter(shape, evidence, legal_basis)
    return ParquetWriter(shape, evidence, legal_basis)

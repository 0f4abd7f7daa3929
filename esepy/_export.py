"""Streaming table export for ``esepy export``: CSV, JSON, JSON lines and Parquet.

Rows are read one at a time from the table's cursor and written as they come (CSV, JSON,
JSON lines) or in bounded batches (Parquet: one row group per batch of ``batch_rows`` rows,
by default as many rows as hold about a million values), so a table larger than memory
exports in bounded memory.  A file output is written under a temporary name and renamed
when complete: an export that fails leaves no partial file behind.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import uuid
from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

#: values per Parquet batch when no batch size is given
BATCH_VALUES = 1 << 20
_MAX_BATCH_ROWS = 65536

# JET_coltyp -> (arrow kind, arrow type name)
_KINDS = {1: "bool", 2: "uint8", 3: "int16", 4: "int32", 5: "int64", 6: "float32", 7: "float64", 8: "ts",
          9: "binary", 10: "string", 11: "binary", 12: "string", 14: "uint32", 15: "int64", 16: "string",
          17: "uint16", 18: "uint64"}


def plain(v: Any) -> Any:
    """A value as CSV and JSON carry it: datetimes ISO 8601, bytes hex, GUIDs as strings, lists
    element by element, values that are neither (damaged, unsupported) as their text."""
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def batch_rows_for(ncolumns: int) -> int:
    """Rows per Parquet batch for a table of ``ncolumns`` columns (about :data:`BATCH_VALUES` values)."""
    return max(1, min(_MAX_BATCH_ROWS, BATCH_VALUES // max(1, ncolumns)))


class _Target:
    """Where the output goes: a file written under a temporary name and renamed on success,
    or a stream (stdout)."""

    def __init__(self, path: Optional[str], stream: Optional[IO[str]], binary: bool = False) -> None:
        self.path = path
        self.tmp = None if path is None else f"{path}.esepy-partial"
        self.stream = stream
        self.binary = binary

    def open_text(self) -> IO[str]:
        if self.tmp is None:
            assert self.stream is not None
            return self.stream
        return open(self.tmp, "w", encoding="utf-8", newline="")

    def commit(self) -> None:
        if self.tmp is not None:
            os.replace(self.tmp, self.path)  # type: ignore[arg-type]

    def abort(self) -> None:
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


def write_text(fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], path: Optional[str],
               stream: Optional[IO[str]]) -> int:
    """Write ``rows`` (value lists in ``columns`` order) as ``fmt`` ("csv", "json" -- one JSON
    array, "jsonl" -- one object a line) to ``path`` or ``stream``, row by row.  Returns the
    number of rows."""
    target = _Target(path, stream)
    f = target.open_text()
    n = 0
    try:
        if fmt == "csv":
            w = csv.writer(f, lineterminator="\n")
            w.writerow(columns)
            for row in rows:
                w.writerow([plain(v) for v in row])
                n += 1
        elif fmt == "jsonl":
            for row in rows:
                f.write(json.dumps(dict(zip(columns, (plain(v) for v in row)))))
                f.write("\n")
                n += 1
        else:
            f.write("[")
            for row in rows:
                f.write(",\n " if n else "\n ")
                f.write(json.dumps(dict(zip(columns, (plain(v) for v in row)))))
                n += 1
            f.write("\n]\n" if n else "]\n")
        if f is not stream:
            f.close()
        target.commit()
    except BaseException:
        if f is not stream:
            f.close()
        target.abort()
        raise
    return n


def _arrow_types(pa: Any, kinds: Sequence[Optional[str]], multi: Sequence[bool]) -> List[Any]:
    out = []
    for kind, mv in zip(kinds, multi):
        if kind is None:
            t = None
        elif kind == "ts":
            t = pa.timestamp("us", tz="UTC")
        elif kind == "bool":
            t = pa.bool_()      # pyarrow spells the boolean type bool_()
        else:
            t = getattr(pa, kind)()
        out.append(pa.list_(t) if (mv and t is not None) else t)
    return out


def _fit(kind: Optional[str], v: Any) -> Tuple[Any, bool]:
    """(value for an arrow column of ``kind``, whether it fit): a value of another Python type
    (a damaged or unsupported value, a date outside datetime's range) becomes None."""
    if v is None or kind is None:
        return v, True
    if kind == "bool":
        return (v, True) if isinstance(v, bool) else (None, False)
    if kind.startswith(("int", "uint")):
        return (v, True) if isinstance(v, int) and not isinstance(v, bool) else (None, False)
    if kind.startswith("float"):
        return (float(v), True) if isinstance(v, (int, float)) and not isinstance(v, bool) else (None, False)
    if kind == "ts":
        return (v, True) if isinstance(v, _dt.datetime) else (None, False)
    if kind == "binary":
        return (bytes(v), True) if isinstance(v, (bytes, bytearray)) else (None, False)
    if isinstance(v, str):
        return v, True
    if isinstance(v, uuid.UUID):
        return str(v), True
    return None, False


def write_parquet(columns: Sequence[str], coltyps: Optional[Sequence[int]], multivalued: Sequence[bool],
                  rows: Iterable[Sequence[Any]], path: str, batch_rows: Optional[int] = None,
                  on_batch: Optional[Callable[[int], None]] = None) -> Dict[str, int]:
    """Write ``rows`` to the Parquet file ``path``, one row group per batch of ``batch_rows``.

    With ``coltyps`` (JET column types) the schema follows the table's column types (DateTime
    and FILETIME columns as UTC timestamps, GUIDs as strings, multi-valued columns as lists)
    and a value that does not fit its column (a damaged or unsupported value) is written as
    null and counted; without, the schema is inferred from the first batch.  Returns
    ``{"records", "batches", "not_representable"}``."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    ncol = len(columns)
    size = batch_rows or batch_rows_for(ncol)
    schema = None
    kinds: List[Optional[str]] = [None] * ncol
    if coltyps is not None:
        kinds = [_KINDS.get(c) for c in coltyps]
        types = _arrow_types(pa, kinds, multivalued)
        if all(t is not None for t in types):
            schema = pa.schema([pa.field(n, t) for n, t in zip(columns, types)])
    target = _Target(path, None, binary=True)
    writer = None
    stats = {"records": 0, "batches": 0, "not_representable": 0}

    def flush(batch: List[List[Any]]) -> None:
        nonlocal writer, schema
        cols = [[r[i] for r in batch] for i in range(ncol)]
        if schema is None:
            table = pa.Table.from_pydict({n: [plain(v) if not isinstance(v, (int, float, str, bool, bytes,
                                                                             _dt.datetime)) else v for v in c]
                                          for n, c in zip(columns, cols)})
            schema = table.schema
        else:
            table = pa.Table.from_arrays([pa.array(c, type=schema.field(i).type) for i, c in enumerate(cols)],
                                         schema=schema)
        if writer is None:
            writer = pq.ParquetWriter(target.tmp, schema)
        writer.write_table(table)
        stats["batches"] += 1
        if on_batch is not None:
            on_batch(len(batch))

    try:
        batch: List[List[Any]] = []
        for row in rows:
            values = list(row)
            if schema is not None:
                for i, v in enumerate(values):
                    if isinstance(v, list) and multivalued[i]:
                        fitted = [_fit(kinds[i], x) for x in v]
                        values[i] = [x for x, _ in fitted]
                        stats["not_representable"] += sum(1 for _, ok in fitted if not ok)
                    else:
                        values[i], ok = _fit(kinds[i], v)
                        stats["not_representable"] += not ok
            batch.append(values)
            stats["records"] += 1
            if len(batch) >= size:
                flush(batch)
                batch = []
        if batch or writer is None:
            if schema is None and not batch:
                schema = pa.schema([pa.field(n, pa.null()) for n in columns])
            flush(batch)
        writer.close()  # type: ignore[union-attr]
        target.commit()
    except BaseException:
        if writer is not None:
            try:
                writer.close()
            except Exception:
                pass
        target.abort()
        raise
    return stats


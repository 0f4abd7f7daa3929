"""Jupyter displays (``_repr_html_``) and pandas conversion for Database and Table.

Kept apart from :mod:`esepy._isam` so the ISAM stays free of presentation code;
pandas is imported only when asked for.
"""
from __future__ import annotations

import html
import itertools
from typing import Any, List, Optional, Sequence, Tuple

_PREVIEW = 10


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def database_html(db: Any) -> str:
    """HTML for an open :class:`esepy.Database`: header state and one row per table."""
    rows: List[Tuple[Any, ...]] = []
    try:
        info = db.info()
    except Exception:  # noqa: BLE001 -- a display must not raise
        info = {}
    for name in db.tables:
        try:
            t = db.open_table(name, read_only=True)
        except Exception as e:  # noqa: BLE001
            rows.append((name, f"cannot open: {e}", "", ""))
            continue
        try:
            cols = ", ".join(f"{c.name} {c.coltyp.name.lower()}" for c in t.columns.values())
            rows.append((name, cols, ", ".join(t.primary_key) or "(sequential)", len(t)))
        finally:
            t.close()
    from .inspection import DB_STATES
    state = DB_STATES.get(info.get("dbstate", 0), "") if isinstance(info, dict) else ""
    return _table(f"esepy.Database {db.path} {state}".strip(), ["table", "columns", "primary key", "records"], rows)


def table_html(t: Any) -> str:
    """HTML for a :class:`esepy.Table`: its columns, then its first records."""
    cols = list(t.columns.values())
    schema = _table(f"esepy.Table {t.name}: {len(t)} records; primary key {', '.join(t.primary_key) or '-'}",
                    ["column", "type", "id", "max length"],
                    [(c.name, c.coltyp.name.lower(), c.columnid, c.cb_max) for c in cols])
    first = list(itertools.islice(iter(t), _PREVIEW))
    preview = _table(f"first {len(first)} records", [c.name for c in cols],
                     [[r.get(c.name) for c in cols] for r in first])
    return schema + preview


def table_to_pandas(t: Any, limit: Optional[int] = None) -> Any:
    """Records of a table as a pandas DataFrame."""
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportError("Table.to_pandas needs pandas: pip install 'esepy[pandas]'") from None
    cols = t.columns
    names = list(cols)
    it = iter(t)
    rows = list(itertools.islice(it, limit) if limit is not None else it)
    df = pd.DataFrame(rows, columns=names)
    # Integer and Bit columns keep their type when they hold NULLs (pandas'
    # nullable dtypes; plain pandas would turn them into floats with NaN).
    for name, col in cols.items():
        dtype = _PANDAS_DTYPES.get(int(col.coltyp))
        if dtype is not None and not col.grbit & 0x400:  # not multi-valued (lists stay objects)
            df[name] = df[name].astype(dtype)
    return df


# JET_coltyp -> pandas nullable dtype
_PANDAS_DTYPES = {1: "boolean", 2: "UInt8", 3: "Int16", 4: "Int32", 5: "Int64", 14: "UInt32", 15: "Int64",
                  17: "UInt16", 18: "UInt64"}

"""Tables for people: Jupyter displays (``_repr_html_``), CLI tables, and pandas
conversion for Database and Table.

Kept apart from :mod:`esepy._isam` so the ISAM stays free of presentation code.
Every table is built once, as rows, and drawn by a library: rich for the
terminal (:func:`text_table`, a dependency of the CLI) and for HTML without
pandas; pandas' ``DataFrame.to_html`` for HTML when pandas is installed
(``esepy[pandas]``), so notebooks get real, escaped HTML tables.
"""
from __future__ import annotations

import itertools
from typing import Any, List, Optional, Sequence, Tuple

_PREVIEW = 10


def _cell(v: Any) -> str:
    return "" if v is None else str(v)


def _rich_table(caption: Optional[str], header: Optional[Sequence[str]], rows: Sequence[Sequence[Any]],
                html: bool = False) -> Any:
    from rich import box
    from rich.table import Table
    t = Table(title=caption, show_header=header is not None, box=box.ASCII2 if html else None,
              pad_edge=False, title_justify="left", header_style="bold" if html else "")
    for h in header or [""] * (len(rows[0]) if rows else 0):
        t.add_column(str(h), overflow="fold")
    for r in rows:
        t.add_row(*(_cell(v) for v in r))
    return t


def text_table(header: Optional[Sequence[str]], rows: Sequence[Sequence[Any]], indent: int = 2,
               width: int = 200) -> List[str]:
    """Rows as aligned text lines (rich), for the CLI; no colour, no frame.
    ``header`` None draws no header line."""
    import io

    from rich.console import Console
    from rich.padding import Padding
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, highlight=False, soft_wrap=False).print(
        Padding(_rich_table(None, header, rows), (0, 0, 0, indent)))
    return [line.rstrip() for line in buf.getvalue().splitlines() if line.strip()]


def html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table (pandas' ``to_html`` when pandas is installed, else rich's HTML export)."""
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pd = None
    if pd is not None:
        # object columns: plain Python strings, so a path that is not UTF-8 (surrogate
        # escapes, os.fsdecode) is shown as it is instead of failing an Arrow string column
        df = pd.DataFrame([[_cell(v) for v in r] for r in rows], columns=[str(h) for h in header], dtype=object)
        out = str(df.to_html(index=False, escape=True, border=0))
        import html as _h
        return out.replace(">", f"><caption>{_h.escape(caption)}</caption>", 1)
    from rich.console import Console
    con = Console(record=True, width=160, file=__import__("io").StringIO(), color_system=None)
    con.print(_rich_table(caption, header, rows, html=True))
    return "<table><tr><td>" + con.export_html(inline_styles=True, code_format="<pre>{code}</pre>") \
        + "</td></tr></table>"


def html_fields(caption: str, rows: Sequence[Tuple[str, Any]]) -> str:
    """A two-column (field, value) HTML table."""
    return html_table(caption, ["field", "value"], rows)


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return html_table(caption, header, rows)


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
    from .inspect import DB_STATES
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

"""Refresh the function table of docs/esent-differences.md.

Reads ESENT's function list (tests/c_api/esent_api.txt) and the built library
(esepy.native_library()); keeps each row's state and note, turns a ``missing``
row into ``same`` once the function is exported (and a provided one into
``missing`` if it is gone), adds rows for new names and rewrites the "Still
missing" line.  Review the result: a function that differs from ESENT needs
its row set to ``differs`` with the reason by hand.
tests/c_api/test_esent_api_table.py checks the table.

    python tools/esent_api_table.py
"""
import ctypes
import os
import re

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "esent-differences.md")
LIST = os.path.join(ROOT, "tests", "c_api", "esent_api.txt")
ROW = re.compile(r"\|\s*`(Jet\w+)`\s*\|\s*(\w+)\s*\|(.*)\|\s*$")


def main() -> None:
    with open(LIST) as f:
        names = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    lib = ctypes.CDLL(esepy.native_library())
    with open(DOC) as f:
        text = f.read()
    head, table = text.split("## Function table", 1)
    old = {}
    for line in table.splitlines():
        m = ROW.match(line)
        if m:
            old[m.group(1)] = (m.group(2), m.group(3).strip())
    rows = []
    for n in names:
        state, note = old.get(n, ("missing", ""))
        if hasattr(lib, n) and state == "missing":
            state = "same"
        elif not hasattr(lib, n):
            state, note = "missing", ""
        rows.append((n, state, note))
    missing = [n for n, s, _ in rows if s == "missing"]
    out = []
    in_table = False
    for line in table.splitlines():
        if line.startswith("Still missing ("):
            line = "Still missing (%d): %s." % (len(missing), ", ".join("`%s`" % m for m in missing))
        if ROW.match(line) or line.startswith("| Function |") or line.startswith("| --- |"):
            if not in_table:
                in_table = True
                out.append("| Function | State | Note |")
                out.append("| --- | --- | --- |")
                out.extend("| `%s` | %s | %s |" % r for r in rows)
            continue
        out.append(line)
    with open(DOC, "w") as f:
        f.write(head + "## Function table" + "\n".join(out) + "\n")


if __name__ == "__main__":
    main()

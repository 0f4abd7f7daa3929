"""The audit of a Windows ESE database against its transaction logs:
:func:`esepy.verify_logs` and the :class:`VerifyReport` it returns.

Every page whose whole history lies in the available log generations (created by
NewPage or a split within them, or started from a logged before-image) is rebuilt
from the logs alone and compared with the page on disk, logically (tags, keys, data,
flags, links) and byte-wise (checksum and flush-type bits masked).  A difference is
evidence of tampering or of a replay bug; either way the report shows the page, its
first differing node on both sides and the last log records that named it.
"""
import html as _html
import json as _json
import os as _os
from typing import Any, Dict, List

from . import _esepy

__all__ = ["VerifyReport", "verify_logs"]


def _hex(b: bytes, limit: int = 48) -> str:
    s = b[:limit].hex(" ")
    return s + (" ..." if len(b) > limit else "")


def _lg(p: Any) -> str:
    return "(%d,%d,%d)" % tuple(p)


class VerifyReport:
    """Result of :func:`verify_logs`.

    ``pages`` lists every page the logs name, in page order, each a dict with
    ``pgno``, ``verdict`` (``"match"``, ``"differs"`` or ``"unchecked"``), ``reason``,
    ``records`` (how many log records name it), ``first_record``, ``last_records``
    (the last 16: type, lgpos, dbtime, dbtime_before, iline, creates), ``rebuilt``
    (the rebuild's details, None when the page could not be rebuilt) and, for a
    differing page, ``line`` (-1: tag 0) with ``node_from_logs`` / ``node_on_disk``
    (flags, key, data -- the first 256 bytes -- and their full sizes).
    ``matching``, ``differing``, ``unchecked`` are those lists by verdict;
    ``ok`` is True when every page checked matches.  ``str(report)`` is a plain
    text report, and Jupyter renders it as a table (``_repr_html_``).
    """

    def __init__(self, database: str, logs: str, raw: Dict[str, Any]) -> None:
        self.database = database
        self.logs = logs
        self.generations = tuple(raw["generations"])
        self.records = raw["records"]
        self.dbid = raw["dbid"]
        self.pages: List[Dict[str, Any]] = raw["pages"]
        self.bytes_equal = raw["bytes_equal"]

    @property
    def matching(self) -> List[Dict[str, Any]]:
        """Pages rebuilt from the logs and logically equal to the file."""
        return [p for p in self.pages if p["verdict"] == "match"]

    @property
    def differing(self) -> List[Dict[str, Any]]:
        """Pages rebuilt from the logs that differ from the file (tampering, or a replay bug)."""
        return [p for p in self.pages if p["verdict"] == "differs"]

    @property
    def unchecked(self) -> List[Dict[str, Any]]:
        """Pages the logs name that could not be checked (each with its ``reason``)."""
        return [p for p in self.pages if p["verdict"] == "unchecked"]

    @property
    def ok(self) -> bool:
        """True when no page checked differs."""
        return not self.differing

    def page(self, pgno: int) -> Dict[str, Any]:
        """The entry of page ``pgno`` (KeyError when the logs do not name it)."""
        for p in self.pages:
            if p["pgno"] == pgno:
                return p
        raise KeyError(pgno)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form (bytes as hex strings)."""
        def conv(v: Any) -> Any:
            if isinstance(v, bytes):
                return v.hex()
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            return v
        return {"database": self.database, "logs": self.logs, "generations": list(self.generations),
                "records": self.records, "dbid": self.dbid, "pages_named": len(self.pages),
                "match": len(self.matching), "differ": len(self.differing), "unchecked": len(self.unchecked),
                "bytes_equal": self.bytes_equal, "ok": self.ok, "pages": conv(self.pages)}

    def to_json(self, **kw: Any) -> str:
        """:meth:`to_dict` as a JSON string (``kw`` as for :func:`json.dumps`)."""
        return _json.dumps(self.to_dict(), **kw)

    def summary(self) -> str:
        """One line: pages named, matching (byte-equal), differing, unchecked."""
        return ("%d page(s) named by %d log records (generations %d-%d): %d match (%d byte-equal), "
                "%d differ, %d cannot be checked" % (len(self.pages), self.records, self.generations[0],
                                                     self.generations[1], len(self.matching), self.bytes_equal,
                                                     len(self.differing), len(self.unchecked)))

    def _difference_lines(self, p: Dict[str, Any]) -> List[str]:
        out = ["page %d DIFFERS: %s" % (p["pgno"], p["reason"])]
        if "line" in p:
            where = "tag 0 (key prefix / external header)" if p["line"] == -1 else "line %d" % p["line"]
            out.append("  first differing node: %s" % where)
            for side, n in (("from the logs", p["node_from_logs"]), ("on disk      ", p["node_on_disk"])):
                if n is None:
                    out.append("    %s: (no such line)" % side)
                else:
                    out.append("    %s: flags 0x%x key [%d] %s data [%d] %s" % (
                        side, n["flags"], n["key_size"], _hex(n["key"]), n["data_size"], _hex(n["data"])))
        out.append("  log records that named it (last %d of %d):" % (len(p["last_records"]), p["records"]))
        for r in p["last_records"]:
            out.append("    %-24s %-14s dbtime %d%s line %d" % (
                r["type"], _lg(r["lgpos"]), r["dbtime"],
                "" if r["dbtime_before"] is None else " (before %d)" % r["dbtime_before"], r["iline"]))
        return out

    def __str__(self) -> str:
        lines = ["verify-logs %s against %s" % (self.database, self.logs), self.summary()]
        for p in self.differing:
            lines += self._difference_lines(p)
        if self.matching:
            lines.append("matching pages: " + ", ".join(
                "%d%s" % (p["pgno"], "" if p["rebuilt"]["bytes_equal"] else "*") for p in self.matching)
                + ("   (* logically equal, bytes differ)" if self.bytes_equal < len(self.matching) else ""))
        for p in self.unchecked:
            lines.append("page %d not checked: %s" % (p["pgno"], p["reason"]))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "<VerifyReport %s: %s>" % (self.database, self.summary())

    def _repr_html_(self) -> str:
        e = _html.escape
        rows = []
        for p in self.pages:
            rb = p["rebuilt"]
            detail = e(p["reason"])
            if p["verdict"] == "differs" and "line" in p:
                parts = []
                for side, n in (("logs", p["node_from_logs"]), ("disk", p["node_on_disk"])):
                    parts.append("%s: %s" % (side, "-" if n is None else "flags 0x%x key %s data %s" % (
                        n["flags"], e(_hex(n["key"], 16)), e(_hex(n["data"], 16)))))
                detail += "<br><code>%s</code>" % "<br>".join(parts)
                detail += "<br>records: " + e(", ".join("%s %s" % (r["type"], _lg(r["lgpos"]))
                                                       for r in p["last_records"][-4:]))
            color = {"match": "#e6f4ea", "differs": "#fce8e6", "unchecked": "#f1f3f4"}[p["verdict"]]
            rows.append('<tr style="background:%s"><td>%d</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td>'
                        '<td>%s</td></tr>' % (
                            color, p["pgno"], e(p["verdict"]), p["records"],
                            "" if rb is None else "%s %s" % (e(rb["origin"]), e(_lg(rb["lgpos_origin"]))),
                            "" if rb is None else ("yes" if rb["bytes_equal"] else "no"), detail))
        return ('<div><b>%s</b><table><thead><tr><th>page</th><th>verdict</th><th>records</th>'
                '<th>history starts</th><th>bytes equal</th><th>details</th></tr></thead><tbody>%s</tbody>'
                '</table></div>' % (e(self.summary()), "".join(rows)))


def verify_logs(db: "_os.PathLike[str] | str", logs: "_os.PathLike[str] | str") -> VerifyReport:
    """Audit the Windows ESE database ``db`` against the transaction logs in the folder
    ``logs`` (every generation there, oldest first; nothing is written): pages whose whole
    history is in the logs are rebuilt from the logs alone and compared with the file.
    Returns a :class:`VerifyReport`.  Raises the JET error of the log reader when the
    logs cannot be read as one chain (a missing generation, a damaged segment, logs of
    another database)."""
    from . import errors
    dbp, logp = _os.fspath(db), _os.fspath(logs)
    if not _os.path.isdir(logp):
        raise errors.InvalidPath(operation=f"log folder {logp}: no such folder")
    return VerifyReport(dbp, logp, _esepy._ese_verify_logs(dbp, logp))

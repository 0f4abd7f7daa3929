"""System parameters by Python name.

The table comes from the engine (``EsepyGetParamInfo``), so names, ids, types,
ranges and defaults are defined once, in ``csrc/api/params.c``.  Python names
are snake_case versions of ``JET_param*`` names, shortened where ESENT's name
is long-winded (``JET_paramLogFilePath`` -> ``log_path``) and carrying their
unit where ESENT's does not (``JET_paramLogFileSize`` -> ``log_file_size_kb``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Union

from . import _esepy

TYPE_INTEGER, TYPE_BOOLEAN, TYPE_STRING, TYPE_FOLDER, TYPE_PATH, TYPE_POINTER = 1, 2, 3, 4, 5, 6
FLAG_GLOBAL, FLAG_FIXED_AT_INIT, FLAG_FIXED_AT_MODE, FLAG_READONLY, FLAG_NO_EFFECT = 1, 2, 4, 8, 16

ParamValue = Union[int, bool, str]


@dataclass(frozen=True)
class ParamInfo:
    """One system parameter as the engine describes it."""

    paramid: int
    jet_name: str
    name: str
    type: int
    flags: int
    default: Optional[ParamValue]
    min: int
    max: int
    max_length: int

    @property
    def is_string(self) -> bool:
        """True for text and path parameters (set through szParam)."""
        return self.type in (TYPE_STRING, TYPE_FOLDER, TYPE_PATH)

    @property
    def python_type(self) -> type:
        """The Python type of the value: bool, int or str."""
        if self.type == TYPE_BOOLEAN:
            return bool
        return str if self.is_string else int

    @property
    def is_global(self) -> bool:
        """True for a process-wide parameter (``cache_size_max``, ``database_page_size``, ...).

        As in ESENT, setting one through an instance (``Instance(cache_size_max=...)``,
        :meth:`Instance.set_param`) sets the process's value: every instance, running
        or created later, sees it.
        """
        return bool(self.flags & FLAG_GLOBAL)

    @property
    def settable(self) -> bool:
        """False for read-only parameters and raw pointers (callbacks), which Python cannot set."""
        return not (self.flags & FLAG_READONLY) and self.type != TYPE_POINTER

    def check(self, value: object) -> ParamValue:
        """Return `value` converted for the engine, or raise TypeError."""
        if not self.settable:
            raise TypeError(f"parameter {self.name!r} cannot be set from Python")
        if self.type == TYPE_BOOLEAN:
            if not isinstance(value, (bool, int)):
                raise TypeError(f"parameter {self.name!r} takes a bool, not {type(value).__name__}")
            return bool(value)
        if self.is_string:
            if isinstance(value, bytes) or not isinstance(value, (str,)) and hasattr(value, "__fspath__"):
                import os
                value = os.fsdecode(value)  # type: ignore[arg-type]
            if not isinstance(value, str):
                raise TypeError(f"parameter {self.name!r} takes a str, not {type(value).__name__}")
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"parameter {self.name!r} takes an int, not {type(value).__name__}")
        return value

    def convert_out(self, raw: Union[int, str]) -> ParamValue:
        """Turn what JetGetSystemParameter returned into the Python value."""
        if self.type == TYPE_BOOLEAN:
            return bool(raw)
        return raw


def _load() -> Dict[str, ParamInfo]:
    out: Dict[str, ParamInfo] = {}
    for pid, jet_name, name, typ, flags, ldef, lmin, lmax, sdef, cch in _esepy._param_table():
        if flags & FLAG_READONLY:
            default: Optional[ParamValue] = None
        elif typ in (TYPE_STRING, TYPE_FOLDER, TYPE_PATH):
            default = sdef
        elif typ == TYPE_BOOLEAN:
            default = bool(ldef)
        else:
            default = ldef
        prefix = "ESEPY_param" if pid >= 0x10000 else "JET_param"  # esepy's own (esepy_ext.h)
        out[name] = ParamInfo(pid, prefix + jet_name, name, typ, flags, default, lmin, lmax, cch)
    return out


PARAMS: Dict[str, ParamInfo] = _load()
BY_ID: Dict[int, ParamInfo] = {p.paramid: p for p in PARAMS.values()}


def lookup(name: str) -> ParamInfo:
    """Return the ParamInfo for a Python name or ``JET_param*`` (``ESEPY_param*``) name; TypeError if unknown."""
    info = PARAMS.get(name)
    if info is None and name.startswith(("JET_param", "ESEPY_param")):
        info = next((p for p in PARAMS.values() if p.jet_name == name), None)
    if info is None:
        raise TypeError(f"unknown engine parameter {name!r}{_suggestion(name)}; "
                        "esepy.parameters() lists them all")
    return info


def _suggestion(name: str) -> str:
    """' -- did you mean ...?' with the nearest settable parameter names, or ''."""
    import difflib
    if name.startswith("JET_param"):  # answer in the spelling that was used
        near = difflib.get_close_matches(name, sorted(p.jet_name for p in PARAMS.values() if p.settable), n=3, cutoff=0.75)
    else:
        near = difflib.get_close_matches(name, sorted(p.name for p in PARAMS.values() if p.settable), n=3, cutoff=0.6)
    return f" -- did you mean {' or '.join(repr(n) for n in near)}?" if near else ""

"""JET errors and warnings as Python exceptions and warning categories.

Every class here is generated at import time from the engine's one error table
(``csrc/api/errors.tbl``, read through the native module), so C codes, the
``JET_paramErrorToString`` text and these classes never disagree.

* :class:`JetError` is the base of every engine error.  It carries ``code``
  (the negative ``JET_ERR``), ``name`` (``"JET_errInvalidLogSequence"``),
  ``message``, ``category`` and ``operation`` (the API call that failed).
* Each error ``JET_errFooBar`` is a class ``FooBar`` here, e.g.
  ``esepy.errors.InvalidLogSequence``.  It subclasses the class of its ESE
  category (the hierarchy below).
* Warnings (positive codes) are never raised: they are issued through
  :func:`warnings.warn` as ``FooBarWarning`` classes (subclasses of
  :class:`JetWarning`, itself a :class:`UserWarning`), so the call that
  produced them still returns its result.

The categories form ESE's hierarchy::

    JetError
      OperationError
        FatalError
        InputOutputError   (also OSError)
        ResourceError
          MemoryResourceError   (also MemoryError)
          QuotaError
          DiskError
      DataError
        CorruptionError
        InconsistentError
        FragmentationError
      ApiError
        UsageError
        StateError
      ObsoleteError
"""
from __future__ import annotations

import threading as _threading
import warnings as _warnings
from typing import TYPE_CHECKING, Any, Dict, Optional, Type

from . import _esepy

__all__ = ["JetError", "JetWarning", "error_class", "warning_class", "error_info"]

_CATEGORY_NAMES = [
    "Unknown", "Error", "Operation", "Fatal", "IO", "Resource", "Memory", "Quota",
    "Disk", "Data", "Corruption", "Inconsistent", "Fragmentation", "Api", "Usage",
    "State", "Obsolete",
]

# code -> (name, category, message) for canonical rows
_INFO: Dict[int, tuple] = {}


class JetError(Exception):
    """Base class of every error the engine returns (a negative JET_ERR).

    ``path`` and ``role`` name the file or folder the error is about, and what it
    is for ("system folder", "log folder", "backup folder", "database", ...), when
    esepy could tell; otherwise both are None.
    """

    code: int = 0
    name: str = "JET_err"
    category: str = "Unknown"

    def __init__(self, code: Optional[int] = None, operation: Optional[str] = None,
                 message: Optional[str] = None):
        if code is None:
            code = type(self).code
        info = _INFO.get(code)
        self.code = code
        self.name = info[0] if info else f"JET_err{code}"
        self.category = info[1] if info else "Unknown"
        self.message = message if message is not None else (info[2] if info else "Unknown error code")
        self.operation = operation
        self.path: Optional[str] = None
        self.role: Optional[str] = None
        text = f"{self.name} ({code}): {self.message}"
        if operation:
            text += f" [{operation}]"
        super().__init__(text)

    def __reduce__(self):
        return (type(self), (self.code, self.operation, self.message))

    def with_path(self, role: str, path: str, reason: str = "") -> "JetError":
        """A copy of this error (same class, code and operation) whose message names
        ``path`` and its ``role`` (and ``reason``, e.g. "does not exist")."""
        text = f"{self.message}: {role} {path!r}" + (f" {reason}" if reason else "")
        new = type(self)(self.code, self.operation, text)
        new.path, new.role = path, role
        return new


class OperationError(JetError):
    """The operation could not be carried out (resources, I/O, fatal conditions)."""


class FatalError(OperationError):
    """The engine hit a condition it cannot continue from."""


class InputOutputError(OperationError, OSError):
    """A file operation failed."""


class ResourceError(OperationError):
    """A resource limit was reached."""


class MemoryResourceError(ResourceError, MemoryError):
    """Memory ran out."""


class QuotaError(ResourceError):
    """A configured quota (sessions, tables, version store, ...) was reached."""


class DiskError(ResourceError):
    """The disk is full or out of space for the engine's files."""


class DataError(JetError):
    """The data on disk is damaged or does not fit together."""


class CorruptionError(DataError):
    """A checksum, link or structure check failed: the data is corrupt."""


class InconsistentError(DataError):
    """Files that must belong together (databases, logs, checkpoint, backup) do not."""


class FragmentationError(DataError):
    """The data is too fragmented for the operation."""


class ApiError(JetError):
    """The API was used wrongly."""


class UsageError(ApiError):
    """A bad argument or a combination of arguments that makes no sense."""


class StateError(ApiError):
    """The call is not allowed in the current state of the instance, session or object."""


class ObsoleteError(JetError):
    """An error code ESE no longer returns (kept for completeness)."""


class JetWarning(UserWarning):
    """Base class of engine warnings (positive JET_ERR codes): the call succeeded."""

    code: int = 0
    name: str = "JET_wrn"

    def __init__(self, code: Optional[int] = None, operation: Optional[str] = None):
        if code is None:
            code = type(self).code
        info = _INFO.get(code)
        self.code = code
        self.name = info[0] if info else f"JET_wrn{code}"
        self.message = info[2] if info else "Unknown warning code"
        self.operation = operation
        text = f"{self.name} ({code}): {self.message}"
        if operation:
            text += f" [{operation}]"
        super().__init__(text)


_CATEGORY_CLASSES: Dict[str, Type[JetError]] = {
    "Unknown": JetError, "Error": JetError, "Operation": OperationError, "Fatal": FatalError,
    "IO": InputOutputError, "Resource": ResourceError, "Memory": MemoryResourceError,
    "Quota": QuotaError, "Disk": DiskError, "Data": DataError, "Corruption": CorruptionError,
    "Inconsistent": InconsistentError, "Fragmentation": FragmentationError, "Api": ApiError,
    "Usage": UsageError, "State": StateError, "Obsolete": ObsoleteError,
}

_ERRORS: Dict[int, Type[JetError]] = {}
_WARNINGS: Dict[int, Type[JetWarning]] = {}


def _build() -> None:
    g = globals()
    for code, name, cat, canonical, message in _esepy._error_table():
        category = _CATEGORY_NAMES[cat] if 0 <= cat < len(_CATEGORY_NAMES) else "Unknown"
        if canonical:
            _INFO[code] = (name, category, message)
        if name.startswith("JET_err") and code < 0:
            clsname = name[len("JET_err"):]
            base = _CATEGORY_CLASSES[category]
            if canonical:
                cls = type(clsname, (base,), {
                    "code": code, "name": name, "category": category,
                    "__doc__": f"{name} ({code}): {message}.",
                    "__module__": __name__,
                })
                _ERRORS[code] = cls
            else:  # an alias name: the same class under a second name
                cls = _ERRORS[code]
            g[clsname] = cls
            __all__.append(clsname)
        elif name.startswith("JET_wrn") and code != 0:
            clsname = name[len("JET_wrn"):] + "Warning"
            if canonical:
                cls = type(clsname, (JetWarning,), {
                    "code": code, "name": name,
                    "__doc__": f"{name} ({code}): {message}.",
                    "__module__": __name__,
                })
                _WARNINGS[code] = cls
            else:
                cls = _WARNINGS[code]
            g[clsname] = cls
            __all__.append(clsname)


if TYPE_CHECKING:
    # The per-error classes (FileNotFound, ...) are made at import time from the
    # engine's table; tell type checkers that such names exist.
    def __getattr__(name: str) -> Any: ...


def error_class(code: int) -> Type[JetError]:
    """Return the exception class for a negative JET_ERR code (JetError if unknown)."""
    return _ERRORS.get(code, JetError)


def warning_class(code: int) -> Type[JetWarning]:
    """Return the warning category for a positive JET_ERR code (JetWarning if unknown)."""
    return _WARNINGS.get(code, JetWarning)


def error_info(code: int) -> Optional[tuple]:
    """Return ``(name, category, message)`` for a JET_ERR code, or None if unknown."""
    return _INFO.get(code)


# Where the engine found the damage behind a corruption error: the message of
# the EVENT_PAGE_CORRUPTED event (esepy/_events.py), which the engine emits on
# the failing call's own thread just before the error returns.  Kept per
# thread and taken by the next exception made on that thread.
_CORRUPTION_CODES = frozenset((-1206, -327, -1018))  # DatabaseCorrupted, BadPageLink, ReadVerifyFailure
_pending = _threading.local()


def _note_corruption(message: str) -> None:
    _pending.corruption = message


def _make_error(code: int, operation: str) -> JetError:
    where = getattr(_pending, "corruption", None)
    if where is not None:
        _pending.corruption = None
        if code in _CORRUPTION_CODES:
            operation = f"{operation}: {where}" if operation else where
    cls = _ERRORS.get(code)
    if cls is None:
        return JetError(code, operation)
    return cls(code, operation)


def _issue_warning(code: int, operation: str) -> None:
    cls = _WARNINGS.get(code, JetWarning)
    _warnings.warn(cls(code, operation), stacklevel=3)


_build()
_esepy._set_factories(_make_error, _issue_warning)

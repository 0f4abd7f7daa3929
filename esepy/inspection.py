"""Compatibility module: :mod:`esepy.inspect` is the package that reads
esepy's files; this name keeps working for existing code and documentation.
Every public name of :mod:`esepy.inspect` is re-exported here."""
from __future__ import annotations

from .inspect import *  # noqa: F401,F403
from .inspect import __all__  # noqa: F401
from .inspect import _decode_header as _decode_header
from .inspect import _decode_log_header as _decode_log_header
from .inspect import _jsonable as _jsonable

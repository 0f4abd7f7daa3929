"""ESE's normalised index keys, built from Python values (the forensic reader's index search).

An ESE index key is the concatenation of one *segment* per key column.  A
segment starts with a prefix byte -- 0x7F data, 0x00 NULL, 0x40 zero-length
text/binary -- followed by the column value in a form whose bytewise order is
the value order:

* unsigned integers (UnsignedByte/Short/Long/LongLong) big-endian; signed
  integers (Short, Long, LongLong, Currency) big-endian with the sign bit
  flipped; Bit as 0xFF (true) / 0x00;
* IEEESingle / IEEEDouble / DateTime (an OLE date double): big-endian bits,
  all bits inverted for negative numbers, only the sign bit flipped otherwise;
* GUID: the 16 stored bytes reordered to the order of the GUID's text form;
* fixed-size binary as stored; variable binary in chunks of 8 bytes, each
  followed by a count byte (9 between chunks; in the last chunk, zero-padded,
  the number of bytes it holds, or 8 for a full last chunk);
* non-Unicode text: ASCII a-z upper-cased (nothing else), cut at an embedded
  NUL, followed by a 0x00 terminator;
* Unicode text: the Windows ``LCMapStringEx`` sort key of the index's locale
  and flags.  esepy does not compute those (they need Windows' sorting
  tables), so such a segment raises :class:`KeyNotNormalisable` and callers
  fall back to comparing decoded values.

A descending key column has every byte of its segment inverted.  ESE also cuts
keys at the index's key-most length; a value long enough to be cut is matched
on the stored (cut) key only.
"""
from __future__ import annotations

import datetime as _dt
import struct as _struct
import uuid as _uuid
from typing import Any, List, Sequence, Tuple

PREFIX_NULL = 0x00
PREFIX_ZERO_LENGTH = 0x40
PREFIX_DATA = 0x7F
CODEPAGE_UNICODE = 1200
_OLE_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=_dt.timezone.utc)


class KeyNotNormalisable(ValueError):
    """A key value esepy cannot turn into ESE's normalised key bytes (Unicode text: a
    Windows LCMapString sort key)."""


def _flip_float_bits(bits: int, width: int) -> int:
    high = 1 << (width - 1)
    return (~bits & ((1 << width) - 1)) if bits & high else bits ^ high


def _ole_days(value: Any) -> float:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return (value - _OLE_EPOCH) / _dt.timedelta(days=1)
    return float(value)


def _binary_chunks(value: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(value), 8):
        chunk = value[i:i + 8]
        if i + 8 < len(value):
            out += chunk + b"\x09"
        else:
            out += chunk.ljust(8, b"\x00") + bytes([len(chunk)])
    return bytes(out)


def _text_ascii(value: Any) -> bytes:
    raw = value.encode("cp1252") if isinstance(value, str) else bytes(value)
    raw = raw.split(b"\x00", 1)[0]
    return bytes(b - 0x20 if 0x61 <= b <= 0x7A else b for b in raw) + b"\x00"


def segment(coltyp: int, codepage: int, fixed: bool, value: Any, descending: bool = False) -> bytes:
    """The normalised key segment of ``value`` for a key column of type ``coltyp``
    (JET_coltyp number), ``codepage`` (text columns) and ``fixed`` (a fixed column:
    binary stored as is), inverted when ``descending``.  Raises
    :class:`KeyNotNormalisable` for Unicode text and ``TypeError`` for a value of
    the wrong type."""
    if value is None:
        seg = bytes([PREFIX_NULL])
    elif coltyp in (10, 12) and codepage == CODEPAGE_UNICODE:
        raise KeyNotNormalisable(
            "Unicode text index keys are Windows LCMapString sort keys, which esepy does not compute "
            "off Windows")
    elif coltyp in (9, 10, 11, 12) and len(value) == 0:
        seg = bytes([PREFIX_ZERO_LENGTH])
    else:
        body = _body(coltyp, fixed, value)
        seg = bytes([PREFIX_DATA]) + body
    if descending:
        seg = bytes(b ^ 0xFF for b in seg)
    return seg


def _body(coltyp: int, fixed: bool, value: Any) -> bytes:
    if coltyp == 1:
        return b"\xff" if value else b"\x00"
    if coltyp == 2:
        return _struct.pack(">B", int(value))
    if coltyp == 3:
        return _struct.pack(">H", (int(value) ^ 0x8000) & 0xFFFF)
    if coltyp == 17:
        return _struct.pack(">H", int(value))
    if coltyp == 4:
        return _struct.pack(">I", (int(value) ^ 0x80000000) & 0xFFFFFFFF)
    if coltyp == 14:
        return _struct.pack(">I", int(value))
    if coltyp in (5, 15):
        return _struct.pack(">Q", (int(value) ^ (1 << 63)) & 0xFFFFFFFFFFFFFFFF)
    if coltyp == 18:
        return _struct.pack(">Q", int(value))
    if coltyp == 6:
        bits = _struct.unpack("<I", _struct.pack("<f", float(value)))[0]
        return _struct.pack(">I", _flip_float_bits(bits, 32))
    if coltyp in (7, 8):
        bits = _struct.unpack("<Q", _struct.pack("<d", _ole_days(value) if coltyp == 8 else float(value)))[0]
        return _struct.pack(">Q", _flip_float_bits(bits, 64))
    if coltyp == 16:
        if isinstance(value, str):
            value = _uuid.UUID(value)
        b = value.bytes_le if isinstance(value, _uuid.UUID) else bytes(value)
        if len(b) != 16:
            raise TypeError("a GUID key needs a uuid.UUID, its text or 16 bytes")
        order = (10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3)
        return bytes(b[i] for i in order)
    if coltyp in (9, 11):
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError("a binary key needs bytes")
        return bytes(value) if fixed else _binary_chunks(bytes(value))
    if coltyp in (10, 12):
        return _text_ascii(value)
    raise TypeError(f"no key normalisation for column type {coltyp}")


def make_key(columns: Sequence[Tuple[int, int, bool, bool]], values: Sequence[Any]) -> bytes:
    """Normalised key of ``values`` (a prefix of the index's key columns, in order) for
    key columns given as (coltyp, codepage, fixed, descending) tuples."""
    if len(values) > len(columns):
        raise ValueError(f"the index has {len(columns)} key columns, {len(values)} values given")
    parts: List[bytes] = [segment(c[0], c[1], c[2], v, c[3]) for c, v in zip(columns, values)]
    return b"".join(parts)

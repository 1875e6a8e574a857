"""Values of the crawl's records made to fit the export columns' Arrow types.

A record written by an older or newer crawler may hold a value of another type than its column.
Such a value becomes null (a string column keeps it as JSON text), never a guess. Checking each
value in Python was most of the Parquet export's time, so a column is checked a batch at a time
and only a batch holding a stray type is converted value by value.
"""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)
NONE = type(None)


def python_types(kind: pa.DataType) -> frozenset[type] | None:
    """The Python types a scalar column takes as they are; None for the other columns."""
    if kind == pa.string():
        return frozenset((str,))
    if kind == pa.bool_():
        return frozenset((bool,))
    if pa.types.is_integer(kind):
        return frozenset((int,))
    if pa.types.is_floating(kind):
        return frozenset((int, float))
    return None


def fits(value, kind: pa.DataType):
    """The value if it has the column's type, else None (strings: other values as JSON; a float
    column's integers as floats)."""
    if value is None:
        return None
    if kind == pa.string():
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if kind == pa.bool_():
        return value if isinstance(value, bool) else None
    if pa.types.is_integer(kind):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if pa.types.is_floating(kind):
        if isinstance(value, float):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                return None
        return None
    if kind == pa.date32():
        return as_date(value)
    return value


def as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def conform(value, kind: pa.DataType):
    """`fits` through lists and structs; a value Arrow still refuses (out of range) is None."""
    if value is None:
        return None
    if pa.types.is_list(kind):
        if not isinstance(value, list):
            return None
        return [conform(element, kind.value_type) for element in value]
    if pa.types.is_struct(kind):
        if not isinstance(value, dict):
            return None
        return {f.name: conform(value.get(f.name), f.type) for f in kind}
    value = fits(value, kind)
    try:
        pa.array([value], type=kind)
    except ARROW_ERRORS:
        return None
    return value


def column_array(values, kind: pa.DataType) -> pa.Array:
    """One column of a batch as an Arrow array of `kind`."""
    if kind == pa.date32():
        return _date_array(values)
    allowed = python_types(kind)
    if allowed is not None:
        found = set(map(type, values))
        found.discard(NONE)
        if found <= allowed:
            try:
                return pa.array(values, type=kind)
            except ARROW_ERRORS:
                pass
    else:
        try:
            return pa.array(values, type=kind)
        except ARROW_ERRORS:
            pass
    return pa.array([conform(value, kind) for value in values], type=kind)


def _date_array(values) -> pa.Array:
    found = set(map(type, values))
    if found <= {str, NONE}:
        try:
            first_ten = pc.utf8_slice_codeunits(pa.array(values, type=pa.string()), 0, 10)
            return pc.cast(first_ten, pa.date32())
        except ARROW_ERRORS:
            pass
    return pa.array([as_date(value) for value in values], type=pa.date32())

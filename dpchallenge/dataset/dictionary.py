"""Reading docs/fields.md, the data dictionary, which is edited by hand.

Its tables are the dictionary: one `## ` section per file, one row per field with its type,
meaning, origin and when it is null. tests/test_fields_doc.py checks the rows against the code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from dpchallenge.dataset.source import DataError

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "fields.md"
HEADER = ("field", "type", "meaning", "from", "null when")
# a `|` inside a cell is written `\|`
CELL_BORDER = re.compile(r"(?<!\\)\|")


class Row(NamedTuple):
    type: str
    meaning: str
    origin: str
    null_when: str


def arrow_name(kind: pa.DataType) -> str:
    """Short Arrow types: `list<int32>`; `list<struct>`, whose fields have a table of their own."""
    if pa.types.is_list(kind):
        value = kind.value_type
        return "list<struct>" if pa.types.is_struct(value) else f"list<{arrow_name(value)}>"
    return str(kind).replace("date32[day]", "date32")


def cells(line: str) -> list[str]:
    parts = CELL_BORDER.split(line.strip())[1:-1]
    return [part.strip().replace("\\|", "|") for part in parts]


def unquote(text: str) -> str:
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == "`" else text


def read_dictionary(path: str | Path = DOC_PATH) -> dict[str, dict[str, Row]]:
    """{section heading: {field: Row}} from the tables of a fields.md; sections without a
    table are left out. FileNotFoundError when there is no such file (an installed package
    without the project's docs/); DataError naming the line of a row that is not whole."""
    path = Path(path)
    sections: dict[str, dict[str, Row]] = {}
    section = None
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.startswith("## "):
                section = line[3:].strip()
                continue
            if not line.startswith("|") or section is None:
                continue
            row = cells(line)
            if tuple(row) == HEADER or all(c and set(c) <= set("-:") for c in row):
                continue
            if len(row) != len(HEADER):
                raise DataError(f"{path}:{number}: a table row of {len(row)} cells, not 5")
            name, kind, *rest = row
            sections.setdefault(section, {})[unquote(name)] = Row(unquote(kind), *rest)
    return sections

"""The .csv/.txt reader: one table of numbers, with a message that names the first bad line.

numpy parses the table; only when it fails is the text walked again, slowly, to find the
line and column to show the student.
"""

from __future__ import annotations

import io
import re

import numpy as np

from .._validate import MAX_ELEMENTS
from ._arrays import check_float32_range
from .errors import TensorLoadError, load_error, load_text, show

# A blank or '#' comment line, with its newline, so numpy never sees it.
_SKIPPED_LINE = re.compile(r"^[ \t\f\v]*(?:#[^\n]*)?(?:\n|\Z)", re.MULTILINE)
_INNER_SPACE = re.compile(r"\S\s+\S")


def _decode(data: bytes) -> str:
    """UTF-8 text (BOM dropped) with ``\\n`` line ends, or a message naming the bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise load_error("text_not_utf8", line=str(line)) from None
    if "\x00" in text:
        raise load_error("text_nul_bytes")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _delimiter(line: str) -> str | None:
    r"""The field separator of a table row; None means runs of whitespace.

    >>> _delimiter("1,5\t2,5"), _delimiter("1;2"), _delimiter("1 2\t3"), _delimiter("1, 2")
    ('\t', ';', None, ',')
    """
    # A tab is the separator only when no field holds spaces; else it is just whitespace.
    if "\t" in line and not any(_INNER_SPACE.search(f) for f in line.split("\t")):
        return "\t"
    return next((d for d in (";", ",") if d in line), None)


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [field.strip() for field in line.split(delimiter)]


def _is_number(token: str) -> bool:
    """Whether numpy's text parser reads ``token`` as a float (it refuses ``1_000``)."""
    try:
        float(token)
    except ValueError:
        return False
    return "_" not in token


def _row_problem(fields: list[str], expected: int, delimiter: str | None,
                 line: str) -> TensorLoadError | None:
    """What is wrong with data row number ``line``, or None."""
    if len(fields) != expected:
        return load_error("text_row_length", line=line, count=str(len(fields)),
                          expected=str(expected))
    for column, token in enumerate(fields, start=1):
        if not token:
            return load_error("text_empty_field", line=line, column=str(column))
        if not _is_number(token):
            comma = "," in token and delimiter is not None
            return load_error("text_decimal_comma" if comma else "text_not_a_number",
                              line=line, column=str(column), token=show(token))
    return None


def _first_bad_row(text: str, delimiter: str | None, header: bool,
                   expected: int) -> TensorLoadError:
    """The first bad row of a text table, found slowly: only used once numpy failed."""
    seen_header = not header
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not seen_header:
            seen_header = True
            continue
        problem = _row_problem(_split(line, delimiter), expected, delimiter, str(number))
        if problem:
            return problem
    return load_error("text_unreadable")


def read_text(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """A CSV or whitespace table as one float64 array: (rows, cols), or 1-D (n,).

    >>> read_text(b"# w\\n1 2\\n3 4\\n", "w")
    {'w': array([[1., 2.], [3., 4.]])}
    """
    text = _decode(data)
    numbers = _SKIPPED_LINE.sub("", text)
    lines = numbers.split("\n", 2)
    first = lines[0]
    if not first:
        raise load_error("text_no_numbers")
    delimiter = _delimiter(first)
    # Empty fields do not make a header: "1,,2" is a broken data row, reported as such.
    header = any(token and not _is_number(token) for token in _split(first, delimiter))
    row = lines[1] if header and len(lines) > 1 else ("" if header else first)
    if not row:
        raise load_error("text_header_only")
    columns = len(_split(row, delimiter))
    max_rows = MAX_ELEMENTS // columns + 1
    try:
        table = np.loadtxt(io.StringIO(numbers), dtype=np.float64,
                           delimiter=delimiter, comments=None, skiprows=int(header),
                           max_rows=max_rows, ndmin=2)
    except ValueError:
        raise _first_bad_row(text, delimiter, header, columns) from None
    if table.size > MAX_ELEMENTS:
        raise load_error("text_too_many_values", limit=f"{MAX_ELEMENTS:,}")
    if 1 in table.shape:
        table = table.reshape(-1)
    return {stem: check_float32_range(table, load_text("label_text"))}

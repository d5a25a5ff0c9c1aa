"""CSV files as imports read them: UTF-8 (with or without a byte-order mark), a header row naming
the columns, one record per row, each row named by the line it starts on."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from cras_desk.imports.outcome import RowError

Row = tuple[str, dict[str, str] | None]  # ("line 7", column -> text); None: the row was refused


class FileRefused(Exception):
    """The file as a whole cannot be read (not CSV, not UTF-8, columns missing)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def read_rows(
    path: Path, required: Sequence[str], optional: Sequence[str], errors: list[RowError]
) -> Iterator[Row]:
    """Rows with their line; a row of the wrong length comes as None, its problem put to `errors`. FileRefused
    when the header is unusable or the text is not UTF-8."""
    known = set(required) | set(optional)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise FileRefused(RowError("file", "header", "the file is empty: no header row.")) from None
            columns = [name.strip().lower() for name in header]
            missing = [name for name in required if name not in columns]
            unknown = [name for name in columns if name not in known]
            repeated = sorted({name for name in columns if columns.count(name) > 1})
            for what, names in (
                ("missing required column", missing),
                ("unknown column", unknown),
                ("column given twice", repeated),
            ):
                if names:
                    plural = "s" if len(names) > 1 else ""
                    raise FileRefused(RowError("file", "header", f"{what}{plural}: {', '.join(names)}."))
            width = len(columns)
            while True:
                start = reader.line_num + 1
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    errors.append(RowError(f"line {start}", "row", f"not readable as CSV ({exc})."))
                    return
                if not any(v.strip() for v in values):
                    continue  # a blank line (often the last) is no row
                where = f"line {start}"
                if len(values) != width:
                    errors.append(
                        RowError(where, "row", f"has {len(values)} values; the header names {width} columns.")
                    )
                    yield where, None
                    continue
                yield where, dict(zip(columns, values, strict=True))
    except UnicodeDecodeError as exc:
        raise FileRefused(
            RowError("file", "encoding", f"not UTF-8 text (byte {exc.start}): save the file as UTF-8 CSV.")
        ) from None
    except OSError as exc:
        raise FileRefused(RowError("file", "file", f"cannot be read: {exc.strerror or exc}.")) from None

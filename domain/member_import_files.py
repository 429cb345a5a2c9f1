"""Reading an import file (CSV with a header row, or JSON Lines) into records keyed by the
import's canonical columns, each with the line it starts on."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain.errors import DomainError, ErrorCode
from domain.member_import import ImportFormat, column_of, read_columns, require_identity_column

Record = dict[str, object]


@dataclass
class ImportFile:
    content: bytes
    format: ImportFormat
    digest: str = field(init=False)
    ignored_columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.digest = hashlib.sha256(self.content).hexdigest()

    @classmethod
    def of(cls, content: bytes, format: ImportFormat | None = None) -> ImportFile:
        return cls(content, format or guess_format(content))

    def text(self) -> str:
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(
                f"The file is not UTF-8 text (byte {exc.start}).", field=("content",)
            ) from None

    def records(self) -> Iterator[tuple[int, Record | DomainError]]:
        """(line, record) for each row, or (line, the reason it cannot be read)."""
        if self.format is ImportFormat.CSV:
            return self._csv()
        return self._jsonl()

    def _csv(self) -> Iterator[tuple[int, Record | DomainError]]:
        reader = csv.reader(io.StringIO(self.text(), newline=""))
        headers = next(reader, None)
        if headers is None:
            raise DomainError("The file is empty.", field=("content",), code=ErrorCode.REQUIRED)
        known, self.ignored_columns = read_columns(headers)
        require_identity_column(known.values())
        columns = [known.get(h) for h in headers]
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue  # a blank line
            if len(values) > len(columns):
                yield (
                    line,
                    DomainError(f"{len(values)} values for {len(columns)} columns.", field=None),
                )
                continue
            yield line, {c: v for c, v in zip(columns, values, strict=False) if c is not None}

    def _jsonl(self) -> Iterator[tuple[int, Record | DomainError]]:
        ignored: dict[str, None] = {}
        for line, text in enumerate(self.text().splitlines(), start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError:
                yield line, DomainError("Not a JSON object.", field=None)
                continue
            if not isinstance(value, dict):
                yield line, DomainError("Not a JSON object.", field=None)
                continue
            record: Record = {}
            for key, item in value.items():
                column = column_of(str(key))
                if column is None or column in record:
                    ignored.setdefault(str(key))
                else:
                    record[column] = item
            self.ignored_columns = list(ignored)
            yield line, record


def guess_format(content: bytes) -> ImportFormat:
    """JSON Lines when the first thing in the file is an object, else CSV."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return ImportFormat.JSONL if head.startswith(b"{") else ImportFormat.CSV

"""Open crime files as streams of text rows: plain CSV/TSV, gzip, and police.uk zip archives.

Nothing here reads a whole file into memory: rows are yielded as the bytes arrive.
"""

import codecs
import csv
import gzip
import io
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import ImportInputError

# Files from force systems are often Windows-1252 (Excel). A byte that is not UTF-8 is read
# as Windows-1252 instead of failing the file or dropping the row; the count is reported.
_fallback = threading.local()


def _utf8_or_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    _fallback.count = getattr(_fallback, "count", 0) + len(bad)
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("hotspots-utf8-or-cp1252", _utf8_or_cp1252)
# A free-text field may be long, but not unbounded: 1 MB per field.
csv.field_size_limit(min(sys.maxsize, 1024 * 1024))
# A physical line is read at most this far; the rest of a longer one is skipped unread into
# memory (a file of one 8 GB line must not become one 8 GB string), and its row rejected.
LINE_LIMIT = 2 * 1024 * 1024

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")


@dataclass(frozen=True)
class ExpansionLimit:
    """How far a compressed upload may expand (issue 15, item 7: a 102 KB zip expanded to
    100 MiB and kept a worker busy for a minute). Real crime files compress 5 to 20 times."""

    ratio: float = 100.0
    total_bytes: int = 8 * 1024**3

    def refuse(self, display: str, compressed: int, expanded: int, exact: bool) -> None:
        cap = min(self.total_bytes, self.ratio * max(compressed, 1))
        if expanded > cap:
            more = "" if exact else "more than "
            raise ImportInputError(
                f"{display}: refused as a possible zip bomb: {compressed:,} bytes would expand "
                f"to {more}{expanded:,} bytes (at most {self.ratio:g} times the file and "
                f"{self.total_bytes:,} bytes in all)")


def _gzip_expanded(path: Path, display: str, limit: ExpansionLimit) -> int:
    """The size a gzip file expands to, read to the limit and no further."""
    compressed = path.stat().st_size
    cap = int(min(limit.total_bytes, limit.ratio * max(compressed, 1)))
    expanded = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                expanded += len(chunk)
                if expanded > cap:
                    limit.refuse(display, compressed, expanded, exact=False)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImportInputError(f"{display}: a damaged gzip file ({exc})") from exc
    return expanded


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read through it (for progress)."""

    def __init__(self, raw: IO[bytes], counter: "ByteCounter") -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._counter.done += n
        return n


@dataclass
class ByteCounter:
    total: int = 0
    done: int = 0


@dataclass
class SourceFile:
    """One CSV inside what the user gave us: its display name and how to open it."""

    name: str
    size: int
    opener: object = field(repr=False)

    def open_binary(self) -> IO[bytes]:
        return self.opener()  # type: ignore[operator]


def list_sources(path: Path, display: str | None = None,
                 limit: ExpansionLimit | None = None) -> list[SourceFile]:
    """The CSV files in `path`: itself, or each CSV member of a zip archive. A compressed
    file that would expand beyond `limit` is refused before any row is read."""
    display = display or path.name
    limit = limit or ExpansionLimit()
    if not path.exists():
        raise ImportInputError(f"{display}: no such file")
    if path.stat().st_size == 0:
        raise ImportInputError(f"{display}: the file is empty")
    if zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportInputError(f"{display}: a damaged zip archive ({exc})") from exc
        members = [
            info for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith(TEXT_SUFFIXES)
            and not info.filename.startswith("__MACOSX/")
        ]
        if not members:
            raise ImportInputError(f"{display}: the zip archive holds no CSV files")
        # zipfile never reads a member past its declared size (a longer one fails its CRC),
        # so the declared sizes bound what the import can be made to read. The ratio is of
        # the members read to their own compressed size: other members (a padding file)
        # must not buy a bomb room.
        limit.refuse(display, sum(info.compress_size for info in members),
                     sum(info.file_size for info in members), exact=True)
        members.sort(key=lambda info: info.filename)
        return [
            SourceFile(
                name=f"{display}:{info.filename}",
                size=info.file_size,
                opener=(lambda info=info: archive.open(info)),
            )
            for info in members
        ]
    if path.suffix.lower() == ".gz":
        # gzip's own size field is modulo 4 GiB and can lie: the stream itself is measured.
        expanded = _gzip_expanded(path, display, limit)
        return [SourceFile(name=display, size=expanded, opener=lambda: gzip.open(path, "rb"))]
    return [SourceFile(name=display, size=path.stat().st_size, opener=lambda: path.open("rb"))]


def sniff_delimiter(header_line: str, name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".tsv", ".tsv.gz")):
        return "\t"
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class RowStream:
    """Rows of one source file, with the header and the line each row started on."""

    name: str
    header: list[str]
    rows: Iterator[tuple[int, list[str] | None, str]]
    # bytes that were not UTF-8 and were read as Windows-1252
    fallback_bytes: "FallbackCounter"


@dataclass
class FallbackCounter:
    value: int = 0


def _text_stream(source: SourceFile, counter: ByteCounter) -> io.TextIOWrapper:
    """The source as text, once its first bytes show it is text at all."""
    binary = io.BufferedReader(CountingReader(source.open_binary(), counter), 1 << 20)
    try:
        head = binary.peek(8192)[:8192]
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise ImportInputError(f"{source.name}: cannot be read ({exc})") from exc
    # Text in the encodings we accept has almost no control bytes; spreadsheets, images and
    # UTF-16 files are full of them. A stray NUL in a text file only rejects its own row.
    control = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    if head and control > len(head) // 20:
        raise ImportInputError(
            f"{source.name}: this is not a text file (binary content); "
            "save spreadsheets as CSV before importing"
        )
    return io.TextIOWrapper(binary, encoding="utf-8-sig",
                            errors="hotspots-utf8-or-cp1252", newline="")


def _header(text: io.TextIOWrapper, name: str, delimiter: str | None) -> tuple[list[str], str]:
    """The header row's column names and the delimiter (given, or sniffed from it)."""
    try:
        first = text.readline()
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise ImportInputError(f"{name}: cannot be read ({exc})") from exc
    if not first.strip():
        raise ImportInputError(f"{name}: the file is empty or has no header row")
    delim = delimiter or sniff_delimiter(first, name)
    try:
        header = next(csv.reader([first], delimiter=delim))
    except csv.Error as exc:
        raise ImportInputError(f"{name}: the header row is malformed ({exc})") from exc
    return [h.strip() for h in header], delim


def _bounded_lines(text: io.TextIOWrapper, nul_lines: set[int]) -> Iterator[str]:
    """The data lines, each at most LINE_LIMIT long. PostgreSQL text cannot hold NUL: lines
    that carry one are cleaned here and their numbers kept in `nul_lines`, for the row to
    be rejected instead of failing the whole COPY."""
    number = 1
    while line := text.readline(LINE_LIMIT):
        if len(line) == LINE_LIMIT and not line.endswith("\n"):
            # Too long: skip to its end, and give the reader a line it will refuse
            # (one field over the field limit), so the row is reported, not read.
            while (rest := text.readline(LINE_LIMIT)) and not rest.endswith("\n"):
                pass
            line = line + "\n"
        number += 1
        if "\x00" in line:
            nul_lines.add(number)
            line = line.replace("\x00", "")
        yield line


def open_rows(source: SourceFile, counter: ByteCounter, delimiter: str | None) -> RowStream:
    """Open a source for reading rows. Yields (line, fields, error); fields None on a bad row."""
    text = _text_stream(source, counter)
    fallback = FallbackCounter()
    _fallback.count = 0
    header, delim = _header(text, source.name, delimiter)
    nul_lines: set[int] = set()
    reader = csv.reader(_bounded_lines(text, nul_lines), delimiter=delim)

    def generate() -> Iterator[tuple[int, list[str] | None, str]]:
        # reader.line_num counts physical lines; the header was line 1.
        while True:
            start = reader.line_num + 2
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield start, None, f"malformed CSV ({exc})"
                continue
            except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
                yield start, None, f"file is truncated or damaged ({exc})"
                break
            if nul_lines and start in nul_lines:
                yield start, None, "malformed CSV (the row contains NUL bytes)"
                continue
            if row:
                yield start, row, ""
        fallback.value = getattr(_fallback, "count", 0)

    return RowStream(name=source.name, header=header, rows=generate(), fallback_bytes=fallback)

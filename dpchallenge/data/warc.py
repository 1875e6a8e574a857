"""The page archive: WARC files of whole page responses (warcio), appended one record at a time."""

from __future__ import annotations

import logging
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
# Headers that carry a session, or describe an encoding the stored body no longer has.
DROPPED_HEADERS = frozenset(
    {"set-cookie", "set-cookie2", "content-encoding", "transfer-encoding", "content-length"}
)
# Request URLs that went through a redirect to the archived one, so replay finds them too.
REDIRECTED_FROM = "WARC-DPC-Redirected-From"
_READ_ERRORS = (
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    EOFError,
    ValueError,
    zlib.error,
    OSError,
)


def archive_files(directory: Path) -> list[Path]:
    """Oldest first: names start with the UTC time the writer opened them."""
    return sorted(directory.glob(f"*{SUFFIX}"))


@dataclass(frozen=True)
class ArchivedPage:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str


class ArchiveWriter:
    """Appends response records to the newest file of a folder, a new file once it is full.

    Each record is one gzip member written with one write() and flushed to disk, so a kill -9
    leaves every earlier record whole. A file is never reopened: after a crash its tail may be
    torn, and the reader skips a torn last record.
    """

    def __init__(self, directory: Path, max_bytes: int, software: str = "dpchallenge-crawler"):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.software = software
        self.file = None
        self.path: Path | None = None
        self.size = 0
        self.serial = 0
        self.records_in_file = 0
        self.records = 0
        self.bytes_written = 0

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        protocol: str = "HTTP/1.1",
        redirected_from: list[str] | None = None,
    ) -> int:
        """Archives one response; returns its size in the file (compressed)."""
        kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        reason = _reason(status)
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol=protocol)
        warc_headers = {}
        if redirected_from:
            warc_headers[REDIRECTED_FROM] = " ".join(redirected_from)
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        data = buffer.getvalue()
        if self.file is None or (self.size + len(data) > self.max_bytes and self.records_in_file):
            self._open_next()
        self._append(data)
        self.records_in_file += 1
        self.records += 1
        self.bytes_written += len(data)
        return len(data)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def _open_next(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.serial += 1
        name = f"dpc-{stamp}-{self.serial:05d}-{os.getpid()}{SUFFIX}"
        self.path = self.directory / name
        # "xb": a name already there (another process, the same microsecond) is never appended to.
        self.file = open(self.path, "xb")  # noqa: SIM115 (kept open across records)
        self.size = 0
        self.records_in_file = 0
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        info = {"software": self.software, "format": "WARC File Format 1.0"}
        writer.write_record(writer.create_warcinfo_record(name, info))
        self._append(buffer.getvalue())

    def _append(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()
        os.fsync(self.file.fileno())
        self.size += len(data)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class Location:
    path: Path
    offset: int


class ArchiveIndex:
    """URL → where its newest response record is, built by reading every file once."""

    def __init__(self, locations: dict[str, Location], records: int, torn: int):
        self.locations = locations
        self.records = records
        self.torn = torn

    @classmethod
    def build(cls, directory: Path) -> ArchiveIndex:
        locations: dict[str, Location] = {}
        records = torn = 0
        for path in archive_files(Path(directory)):
            for url, offset, aliases in _scan(path):
                if url is None:
                    torn += 1
                    continue
                records += 1
                for key in (*aliases, url):
                    locations[key] = Location(path, offset)  # a later record wins
        return cls(locations, records, torn)

    def __len__(self) -> int:
        return len(self.locations)

    def __contains__(self, url: str) -> bool:
        return url in self.locations

    def get(self, url: str) -> ArchivedPage | None:
        location = self.locations.get(url)
        return read_record(location.path, location.offset) if location else None


def _scan(path: Path):
    """(url, offset, redirected-from urls) per whole response record; (None, …) for a torn one."""
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream, no_record_parse=True)
        try:
            for record in iterator:
                if record.rec_type != "response":
                    continue
                expected = int(record.rec_headers.get_header("Content-Length") or -1)
                whole = _block_length(record) == expected
                offset = iterator.get_record_offset()  # reads the record to its end
                if not whole:
                    yield None, offset, ()
                    logger.warning("%s: a torn record at offset %d was skipped", path, offset)
                    return
                aliases = (record.rec_headers.get_header(REDIRECTED_FROM) or "").split()
                yield record.rec_headers.get_header("WARC-Target-URI"), offset, aliases
        except _READ_ERRORS as error:
            logger.warning("%s: unreadable from offset %d on (%s)", path, iterator.offset, error)
            yield None, iterator.offset, ()


def _block_length(record) -> int:
    """The bytes of the record's block actually there: fewer than declared when torn."""
    length = 0
    while chunk := record.raw_stream.read(65536):
        length += len(chunk)
    return length


def read_record(path: Path, offset: int) -> ArchivedPage:
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        http = record.http_headers
        body = record.raw_stream.read()
    return ArchivedPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        headers=list(http.headers),
        body=body,
        protocol=http.protocol or "HTTP/1.1",
    )


def iter_records(directory: Path):
    """Every whole response record of a folder, oldest first (for tools and tests)."""
    for path in archive_files(Path(directory)):
        for url, offset, _ in _scan(path):
            if url is not None:
                yield read_record(path, offset)

"""Read the formats that hold bare documents rather than records: plain text (one document
per file, or per line with `input.text_unit: line`) and WARC/WET web archives.

Row ids are byte offsets, as for JSONL: of the line in the (decompressed) stream, of the
record in the WARC file; a text file is one document at offset 0.
"""
from __future__ import annotations

import itertools
import re
import zlib
from typing import Iterator, Optional

import pyarrow as pa

from juicer.core.batch import ROW_ID
from juicer.errors import MissingDependencyError
from juicer.io import fs
from juicer.io.shards import Piece
from juicer.core.row_ids import POSITION_BITS
from juicer.io.records import ReadResult, blocks, count_newlines, open_stream, quarantine_record

BOM = b"\xef\xbb\xbf"
WARC_BATCH = 1024
# WARC records that carry a document: server responses, archived resources, and the
# plain text that WET files hold (conversion); requests, metadata and revisits do not
_WARC_FIELDS = ("url", "warc_record_id", "warc_date", "content_type")


def _table(text_field: str, texts: list[str], row_ids: list[int],
           extra: Optional[dict[str, list]] = None) -> Optional[pa.Table]:
    if not texts:
        return None
    # a tool reading without a text field (juicer convert, count) still gets a `text` column
    columns = {ROW_ID: pa.array(row_ids, pa.int64()),
               text_field or "text": pa.array(texts, pa.string())}
    for name, values in (extra or {}).items():
        columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


# ---------------------------------------------------------------- plain text


def read_text_file(piece: Piece, text_field: str) -> ReadResult:
    """The whole file as one document (an empty file is an empty document)."""
    row_id = piece.file_index << POSITION_BITS
    try:
        with open_stream(piece.path) as stream:
            data = stream.read()
    except (OSError, EOFError, Exception) as exc:  # zstd raises its own error type
        return ReadResult(None, [quarantine_record(row_id, piece.path, None, None,
                                                   f"the compressed stream is damaged: {exc}",
                                                   b"")])
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ReadResult(None, [quarantine_record(row_id, piece.path, line, None,
                                                   f"invalid UTF-8 at byte {exc.start}",
                                                   data[:4096])])
    return ReadResult(_table(text_field, [text], [row_id]), [])


def read_lines(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    """Each line holding more than whitespace is a document (without its line break)."""
    file_base = piece.file_index << POSITION_BITS
    lines_before: Optional[int] = 0 if piece.start == 0 or piece.end < 0 else None
    newlines_seen = 0
    for offset, block, stream_error in blocks(piece):
        if lines_before is None:
            lines_before = count_newlines(piece.path, offset)
        first_line = lines_before + newlines_seen + 1
        if stream_error:
            yield ReadResult(None, [quarantine_record(file_base + offset, piece.path,
                                                      first_line, None, stream_error, b"")])
            return
        texts, row_ids, quarantine = [], [], []
        position = 0
        for number, raw in enumerate(block.split(b"\n")):
            start, position = position, position + len(raw) + 1
            if offset == 0 and number == 0 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if not raw.strip():
                continue
            try:
                text = raw.rstrip(b"\r").decode("utf-8")
            except UnicodeDecodeError as exc:
                quarantine.append(quarantine_record(
                    file_base + offset + start, piece.path, first_line + number, None,
                    f"invalid UTF-8 at byte {exc.start} of the line", raw))
                continue
            if text.strip():  # also passes over lines of Unicode spaces only
                texts.append(text)
                row_ids.append(file_base + offset + start)
        newlines_seen += block.count(b"\n")
        yield ReadResult(_table(text_field, texts, row_ids), quarantine)


# ---------------------------------------------------------------- WARC / WET


def read_warc(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    """The text records of a WARC (HTML kept as it is: put html_to_text_mapper first) or
    WET file, with their URL, record id, date and content type. Records that are not text
    (images, requests, metadata) are not documents and are passed over; a damaged file
    keeps the records before the damage and quarantines the rest of the file."""
    file_base = piece.file_index << POSITION_BITS
    rows: list[dict] = []
    quarantine: list[dict] = []
    for row, problem in _warc_documents(piece.path):
        if problem:
            quarantine.append(quarantine_record(file_base + row["at"], piece.path, None, None,
                                                problem, b""))
            continue
        rows.append(row)
        if len(rows) >= WARC_BATCH:
            yield ReadResult(_warc_table(rows, file_base, text_field), quarantine)
            rows, quarantine = [], []
    yield ReadResult(_warc_table(rows, file_base, text_field), quarantine)


def _warc_table(rows: list[dict], file_base: int, text_field: str) -> Optional[pa.Table]:
    return _table(text_field, [row["text"] for row in rows],
                  [file_base + row["at"] for row in rows],
                  {name: [row[name] for row in rows] for name in _WARC_FIELDS})


def _warc_documents(path: str) -> Iterator[tuple[dict, Optional[str]]]:
    """(document, None) per text record, or ({"at": byte}, why it is lost). A record is
    given out only once the next one has been read (or the file's end checked), so that a
    record cut off by a truncated file is never passed off as a whole one."""
    try:
        from fastwarc.warc import ArchiveIterator, WarcRecordType
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    except ImportError:
        raise MissingDependencyError("fastwarc", "warc", "reading WARC files") from None
    documents = (WarcRecordType.response, WarcRecordType.resource, WarcRecordType.conversion)
    held: Optional[tuple[dict, Optional[str]]] = None
    position = 0
    # FastWARC trusts each record's Content-Length: one cut off by the file's end reads as
    # whole, one longer than its record swallows the records after it
    bad_index, bad_reason = warc_layout_problem(path) or (None, None)
    with fs.open_binary(path) as handle:
        records = iter(ArchiveIterator(handle, parse_http=True, auto_decode="transfer",
                                       quirks_mode=True))
        for index in itertools.count():
            try:
                record = next(records)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - fastwarc reports damage as OSError and others
                if held:
                    yield held
                yield {"at": position + 1}, f"the WARC file is damaged after byte {position}: {exc}"
                return
            if held:
                yield held
                held = None
            position = record.stream_pos
            if index == bad_index:
                yield {"at": position}, (f"WARC record at byte {position} "
                                         f"({record.headers.get('WARC-Target-URI')}): "
                                         f"{bad_reason}; the rest of the file is not read")
                return
            mime = _content_type(record)
            if record.record_type not in documents or not _is_text(mime):
                continue
            url = record.headers.get("WARC-Target-URI")
            try:
                body = _decoded(record, record.reader.read())
            except Exception as exc:  # noqa: BLE001 - a body that cannot be decoded
                held = {"at": position}, (f"WARC record at byte {position} ({url}): its body "
                                          f"cannot be read: {exc}")
                continue
            if record.record_type == WarcRecordType.conversion:
                text = bytes_to_str(body, "utf-8")
            else:
                text = bytes_to_str(body, detect_encoding(body))
            held = {"at": position, "text": text, "url": url, "warc_record_id": record.record_id,
                    "warc_date": record.headers.get("WARC-Date"), "content_type": mime}, None
    cut = _truncated_member(path, position)
    if held and cut and held[1] is None:
        held = {"at": position}, f"WARC record at byte {position} ({held[0]['url']}): {cut}"
    elif cut:
        if held:
            yield held
        held = {"at": position + 1}, f"the WARC file is damaged after byte {position}: {cut}"
    if held:
        yield held


_WARC_CHUNK = 2**20


def warc_layout_problem(path: str) -> Optional[tuple[int, str]]:
    """(index of the first record whose declared length does not fit the file, why), or
    None. Each record is its header block, Content-Length bytes, then CRLF CRLF; the
    (decompressed) stream is walked by those lengths alone, holding a header at a time."""
    from juicer.io.compressed import DamagedStream

    with open_stream(path) as stream:
        walk = _Walk(stream)
        try:
            for index in itertools.count():
                walk.skip_blank_lines()
                if walk.at_end():
                    return None
                if not walk.next_is(b"WARC/"):
                    return None  # not a layout this walk knows (ARC): FastWARC's reading stands
                header = walk.header()
                if header is None:
                    return index, "the file ends inside its header (truncated)"
                match = _CONTENT_LENGTH.search(header)
                if match is None:
                    return index, "its header has no Content-Length"
                length = int(match.group(1))
                if not walk.skip(length):
                    return index, (f"its Content-Length ({length:,}) runs past the end of "
                                   "the file (truncated, or a wrong length)")
                if not walk.record_ends():
                    return index, ("its Content-Length does not end at a record boundary "
                                   "(a wrong length would swallow the records after it)")
        except DamagedStream:
            return None  # the compressed stream's own damage is reported where it is read


class _Walk:
    """Forward reads over a stream with a small window (no copy of the whole file)."""

    def __init__(self, stream):
        self.stream, self.window, self.at = stream, b"", 0

    def _more(self) -> bool:
        chunk = self.stream.read(_WARC_CHUNK)
        if not chunk:
            return False
        self.window, self.at = self.window[self.at:] + chunk, 0
        return True

    def at_end(self) -> bool:
        return self.at >= len(self.window) and not self._more()

    def skip_blank_lines(self) -> None:
        while True:
            while self.at < len(self.window) and self.window[self.at] in b"\r\n":
                self.at += 1
            if self.at < len(self.window) or not self._more():
                return

    def header(self) -> Optional[bytes]:
        while True:
            end = self.window.find(b"\r\n\r\n", self.at)
            if end >= 0:
                header, self.at = self.window[self.at:end], end + 4
                return header
            if len(self.window) - self.at > 4 * _WARC_CHUNK or not self._more():
                return None

    def skip(self, count: int) -> bool:
        while len(self.window) - self.at < count:
            count -= len(self.window) - self.at
            self.window, self.at = b"", 0
            if not self._more():
                return False
        self.at += count
        return True

    def next_is(self, prefix: bytes) -> bool:
        while len(self.window) - self.at < len(prefix):
            if not self._more():
                return False
        return self.window.startswith(prefix, self.at)

    def record_ends(self) -> bool:
        """After a block: line breaks (writers differ in how many), then the next record
        or the end of the file."""
        self.skip_blank_lines()
        return self.at_end() or self.next_is(b"WARC/")


_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*([0-9]+)[ \t]*\r?$")


def _truncated_member(path: str, position: int) -> Optional[str]:
    """Why the gzip data of the last record is incomplete, or None. FastWARC ends quietly
    on a .gz file cut inside a member. Common Crawl files hold one member per record,
    starting at the record's position: only that one is checked; otherwise the file is."""
    if not path.lower().endswith(".gz"):
        return None
    with fs.open_binary(path) as handle:
        handle.seek(position)
        if handle.read(2) != b"\x1f\x8b":
            handle.seek(0)
        else:
            handle.seek(position)
        decompressor, inside = zlib.decompressobj(47), False
        try:
            while chunk := handle.read(2**20):
                while chunk:
                    inside = True
                    decompressor.decompress(chunk)
                    if not decompressor.eof:
                        break
                    chunk, inside = decompressor.unused_data, False
                    decompressor = zlib.decompressobj(47)
        except zlib.error as exc:
            return f"its compressed data is damaged ({exc})"
    return "the file ends inside it (truncated)" if inside else None


def _decoded(record, body: bytes) -> bytes:
    """The body without its HTTP content encoding. Archives hold bodies whose header says
    gzip but which are plain (the crawler stored them decoded): those are kept as they are."""
    encoding = (record.http_headers.get("Content-Encoding") or "").strip().lower() \
        if record.is_http and record.http_headers else ""
    if encoding in ("gzip", "x-gzip", "deflate"):
        # a decompressor object keeps what a truncated body holds, where decompress() fails
        for wbits in ((47,) if "gzip" in encoding else (zlib.MAX_WBITS, -zlib.MAX_WBITS)):
            try:
                return zlib.decompressobj(wbits).decompress(body)
            except zlib.error:
                continue
    return body


def _content_type(record) -> Optional[str]:
    value = record.http_content_type if record.is_http else record.headers.get("Content-Type")
    return value.split(";")[0].strip().lower() if value else None


def _is_text(mime: Optional[str]) -> bool:
    return mime is None or mime.startswith("text/") or "html" in mime or mime.endswith("+xml")

"""Decompress .gz and .zst streams so that damage is never silent and never costs data
before it: every byte that decodes is given out first, then the damage is raised as
DamagedStream naming where it starts. Python's gzip and zstandard's stream reader both
fall short there: a truncated .zst frame reads as a clean end, and a gzip read that meets
garbage loses what it had decoded in the same call."""
from __future__ import annotations

import io
import zlib
from typing import IO

RAW_CHUNK = 2**20


class DamagedStream(OSError):
    """The compressed data is damaged or cut off; everything before it was read."""


class _Decompressed(io.RawIOBase):
    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.buffer = bytearray()
        self.consumed = 0  # compressed bytes fed so far
        self.position = 0  # decompressed bytes given out
        self.damage: DamagedStream | None = None
        self.finished = False

    # subclasses: _feed(chunk) adds what it decodes to self.buffer before raising
    # DamagedStream; _at_end() raises it for a stream cut off

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.buffer) < size):
            chunk = self.raw.read(RAW_CHUNK)
            try:
                if chunk:
                    self._feed(chunk)
                    self.consumed += len(chunk)
                else:
                    self._at_end()
                    self.finished = True
            except DamagedStream as exc:
                self.damage, self.finished = exc, True
        if not self.buffer and self.damage is not None:
            raise self.damage
        size = len(self.buffer) if size < 0 else min(size, len(self.buffer))
        out = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.position += len(out)
        return out

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        self.raw.close()
        super().close()


class GzipReader(_Decompressed):
    """Gzip members one after another (as `cat a.gz b.gz` makes); zero padding after the
    last member is allowed, anything else after it is damage."""

    def __init__(self, raw: IO[bytes]):
        super().__init__(raw)
        self.decoder = zlib.decompressobj(31)
        self.inside = False  # within a member
        self.trailing_zeros = False

    def _feed(self, chunk: bytes) -> None:
        out = self.buffer
        offset = self.consumed
        while chunk:
            if self.trailing_zeros:
                if chunk.strip(b"\0"):
                    raise DamagedStream(f"bytes that are not gzip data follow the last "
                                        f"member (compressed byte {offset})")
                return
            if not self.inside and len(chunk) >= 2 and chunk[:2] != b"\x1f\x8b":
                if not chunk.strip(b"\0"):
                    self.trailing_zeros = True
                    return
                if offset:
                    raise DamagedStream(f"bytes that are not gzip data follow a complete "
                                        f"member (compressed byte {offset})")
                raise DamagedStream("not a gzip file")
            self.inside = True
            try:
                out += self.decoder.decompress(chunk)
            except zlib.error as exc:
                raise DamagedStream(f"the compressed data is damaged near compressed byte "
                                    f"{offset}: {exc}") from None
            if not self.decoder.eof:
                return
            unused = self.decoder.unused_data
            offset += len(chunk) - len(unused)
            chunk = unused
            self.decoder, self.inside = zlib.decompressobj(31), False

    def _at_end(self) -> None:
        if self.inside:
            raise DamagedStream("the file ends inside compressed data (truncated)")


class ZstdReader(_Decompressed):
    """Zstandard frames one after another; a frame cut off is damage, not an end."""

    def __init__(self, raw: IO[bytes]):
        import zstandard

        super().__init__(raw)
        self.zstd = zstandard
        self.decoder = zstandard.ZstdDecompressor().decompressobj()
        self.inside = False

    def _feed(self, chunk: bytes) -> None:
        out = self.buffer
        offset = self.consumed
        while chunk:
            self.inside = True
            try:
                out += self.decoder.decompress(chunk)
            except self.zstd.ZstdError as exc:
                raise DamagedStream(f"the compressed data is damaged near compressed byte "
                                    f"{offset}: {exc}") from None
            if not self.decoder.eof:
                return
            unused = self.decoder.unused_data
            offset += len(chunk) - len(unused)
            chunk = unused
            self.decoder = self.zstd.ZstdDecompressor().decompressobj()
            self.inside = False

    def _at_end(self) -> None:
        if self.inside:
            raise DamagedStream("the file ends inside a compressed frame (truncated)")


def decompressed(raw: IO[bytes], name: str) -> IO[bytes]:
    """`raw`'s bytes, decompressed when `name` ends in .gz or .zst."""
    # not wrapped in io.BufferedReader: a read that meets the damage there loses what the
    # same call had gathered; these readers buffer themselves
    lower = name.lower()
    if lower.endswith(".gz"):
        return GzipReader(raw)
    if lower.endswith(".zst"):
        return ZstdReader(raw)
    return raw

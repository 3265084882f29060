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
        self.inside = False  # within a member or frame

    # subclasses give `errors`, _new_decoder(), _feed(chunk) (which decodes through _frame,
    # so all it decoded is in the buffer before a DamagedStream) and _at_end() (which
    # raises it for a stream cut off)

    def readable(self) -> bool:
        return True

    def _frame(self, chunk: bytes, offset: int) -> tuple[bytes, int]:
        """Decode `chunk` (at compressed `offset`) into the buffer: what follows the end of
        the current member or frame and its offset (b"" while that goes on)."""
        self.inside = True
        try:
            self.buffer += self.decoder.decompress(chunk)
        except self.errors as exc:
            raise DamagedStream(f"the compressed data is damaged near compressed byte "
                                f"{offset}: {exc}") from None
        if not self.decoder.eof:
            return b"", offset
        unused = self.decoder.unused_data
        self.decoder, self.inside = self._new_decoder(), False
        return unused, offset + len(chunk) - len(unused)

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

    errors = zlib.error

    def __init__(self, raw: IO[bytes]):
        super().__init__(raw)
        self.decoder = self._new_decoder()
        self.trailing_zeros = False

    def _new_decoder(self):
        return zlib.decompressobj(31)

    def _feed(self, chunk: bytes) -> None:
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
            chunk, offset = self._frame(chunk, offset)

    def _at_end(self) -> None:
        if self.inside:
            raise DamagedStream("the file ends inside compressed data (truncated)")


class ZstdReader(_Decompressed):
    """Zstandard frames one after another; a frame cut off is damage, not an end."""

    def __init__(self, raw: IO[bytes]):
        import zstandard

        super().__init__(raw)
        self.zstd = zstandard
        self.errors = zstandard.ZstdError
        self.decoder = self._new_decoder()

    def _new_decoder(self):
        return self.zstd.ZstdDecompressor().decompressobj()

    def _feed(self, chunk: bytes) -> None:
        offset = self.consumed
        while chunk:
            chunk, offset = self._frame(chunk, offset)

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

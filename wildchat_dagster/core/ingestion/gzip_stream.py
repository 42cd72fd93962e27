"""Reading a gzip landing file that may be cut short or corrupt, without losing what is readable.

Python's gzip module raises at the first broken byte, and a buffered
readline then loses the lines it had already decompressed. This reader
decompresses member after member with zlib and, where the data breaks
(the file ends inside a member, or a byte is corrupt), simply ends the
stream and says why in `fault`: every byte before the break is delivered.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

GZIP = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate data
CHUNK = 1 << 16


class TolerantGzipReader(io.RawIOBase):
    """The decompressed bytes of a (multi-member) gzip file, up to where it breaks."""

    def __init__(self, compressed: BinaryIO):
        self._compressed = compressed
        self._member = zlib.decompressobj(GZIP)
        self._member_has_input = False
        self._pending = b""
        self._position = 0
        self._finished = False
        self.compressed_read = 0
        self.fault: str | None = None  # why the stream ended early; None when the file was whole

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._compressed.close()
        super().close()

    def readinto(self, buffer) -> int:
        while self._position >= len(self._pending) and not self._finished:
            self._pending, self._position = self._decompress_next(), 0
        n = min(len(buffer), len(self._pending) - self._position)
        buffer[:n] = self._pending[self._position : self._position + n]
        self._position += n
        return n

    def _decompress_next(self) -> bytes:
        chunk = self._compressed.read(CHUNK)
        if not chunk:
            self._finished = True
            if self._member_has_input and not self._member.eof:
                self.fault = f"the file ends inside a gzip member after {self.compressed_read} compressed bytes"
            return b""
        self.compressed_read += len(chunk)
        output = []
        while chunk:
            if self._member.eof:
                if not chunk.strip(b"\x00"):  # zero padding after the last member, as gzip allows
                    break
                self._member, self._member_has_input = zlib.decompressobj(GZIP), False
            self._member_has_input = True
            try:
                output.append(self._member.decompress(chunk))
            except zlib.error as error:
                self._finished = True
                self.fault = f"corrupt gzip data within the first {self.compressed_read} compressed bytes ({error})"
                break
            chunk = self._member.unused_data
        return b"".join(output)


def open_landing_file(path, *, gzipped: bool) -> tuple[BinaryIO, TolerantGzipReader | None]:
    """A buffered binary stream over the file's (decompressed) bytes, and the gzip reader to ask about faults."""
    # the stream outlives this function: the caller closes it
    file = path.open("rb") if hasattr(path, "open") else open(path, "rb")  # noqa: SIM115
    if hasattr(file, "fs"):  # an object-store file (fsspec) lacks readline(limit): buffer it like a local one
        file = io.BufferedReader(file, CHUNK)
    if not gzipped:
        return file, None
    reader = TolerantGzipReader(file)
    return io.BufferedReader(reader, CHUNK), reader

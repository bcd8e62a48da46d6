"""tar archives read as untrusted input (standard library only: used inside the server and by restore).

tarfile parses an extended header (PAX, or a GNU long name) with regular expressions that
take quadratic time on a run of digits: 30 headers of 30 MB spun a core for over ten minutes.
:class:`BoundedTarInfo` refuses any such header larger than :data:`MAX_HEADER` before it is
parsed; :class:`CappedReads` stops a stream after a number of bytes (a gzip bomb's output).
"""

from __future__ import annotations

import tarfile

#: The largest extended header read: real ones (a long name, a PAX time) are a few hundred bytes.
MAX_HEADER = 4096


class BoundedTarInfo(tarfile.TarInfo):
    """tarfile's member, refusing an extended header larger than :data:`MAX_HEADER` before it is parsed."""

    def _proc_pax(self, tarfile_):
        self._check_header_size()
        return super()._proc_pax(tarfile_)

    def _proc_gnulong(self, tarfile_):
        self._check_header_size()
        return super()._proc_gnulong(tarfile_)

    def _check_header_size(self) -> None:
        if self.size > MAX_HEADER:
            raise tarfile.HeaderError(f"an extended header of {self.size:,} bytes, larger than any real one")


class CappedReads:
    """A stream that ends in an error after ``limit`` bytes (for ``tarfile.open(mode="r|")``)."""

    def __init__(self, handle, limit: int) -> None:
        self._handle, self._left = handle, limit

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise tarfile.ReadError("the archive unpacks to more than is read of it")
        return data

"""A small streaming JSON reader: walk a document's structure without loading it whole.

CTRF files hold one array of tests that may run to hundreds of MB, so `json.load` is out. This
reader walks the outer objects and arrays itself and hands each inner value (one test) to the C
decoder (`raw_decode`) on a buffer that holds only that value: memory is bounded by the largest
single value (MAX_VALUE_CHARS), not by the file. Strict where it walks (a missing comma or colon is
an error naming the line), UTF-8 only (a BOM is allowed), nesting bounded by the C decoder.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from qualify.errors import QualifyError

CHUNK = 256 * 1024
MAX_VALUE_CHARS = 16 * 1024 * 1024  # one test (with its output) as JSON text; libxml2's text limit is 10 MB
MAX_KEY_CHARS = 64 * 1024
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_MALFORMED = "results-malformed"
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")


class JsonStream:
    def __init__(self, fh: IO[bytes], display: str, *, chunk: int = CHUNK, max_value: int = MAX_VALUE_CHARS) -> None:
        self._fh = fh
        self._display = display
        self._chunk = chunk
        self._max_value = max_value
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._line = 1  # line of self._counted
        self._counted = 0  # buffer index up to which newlines are counted in self._line
        self._bytes = 0

    # -- positions and errors -------------------------------------------------------------------

    @property
    def line(self) -> int:
        """The line of the current position (counted incrementally: linear over the file)."""
        return self._sync_line()

    def _sync_line(self) -> int:
        if self._pos > self._counted:
            self._line += self._buf.count("\n", self._counted, self._pos)
            self._counted = self._pos
        return self._line

    def error(self, message: str) -> QualifyError:
        return QualifyError(f"malformed JSON: {message}", self._display, self.line, code=_MALFORMED)

    # -- buffer ---------------------------------------------------------------------------------

    def _fill(self, size: int | None = None) -> bool:
        """Append the next chunk to the buffer (dropping what was consumed); False at the end."""
        if self._eof:
            return False
        self._sync_line()  # count the consumed part's newlines before dropping it
        if self._pos:
            self._buf = self._buf[self._pos :]
            self._counted -= self._pos
            self._pos = 0
        data = self._fh.read(size or self._chunk)
        try:
            if not data:
                self._eof = True
                self._buf += self._decoder.decode(b"", final=True)
                return False
            self._bytes += len(data)
            self._buf += self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            at = self._bytes - len(data) + exc.start if data else self._bytes
            raise QualifyError(
                f"not valid UTF-8 (byte {at:,}); JSON results are UTF-8", self._display, self.line, code=_MALFORMED
            ) from None
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end), without consuming it."""
        while True:
            self._pos = _SPACE.match(self._buf, self._pos).end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise self.error(f"expected {what}, found {shown}")
        self._pos += 1

    def at_end(self) -> bool:
        return self.peek() == ""

    # -- values ---------------------------------------------------------------------------------

    def string(self, limit: int = MAX_KEY_CHARS) -> str:
        if self.peek() != '"':
            raise self.error("expected a string")
        value = self.value(limit)
        assert isinstance(value, str)
        return value

    def value(self, limit: int | None = None) -> Any:
        """The next JSON value, decoded by the C decoder once the buffer holds all of it."""
        limit = limit or self._max_value
        if not self.peek():
            raise self.error("expected a value, found the end of the file")
        size = self._chunk
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._grow(size, limit):
                    size *= 2  # doubling: a large value is decoded O(1) times, not once per chunk
                    continue
                self._pos = min(exc.pos, len(self._buf))
                raise self.error(exc.msg) from None
            except RecursionError:
                raise self.error("nested too deeply") from None
            # A number cut by the end of the buffer reads as a shorter one (`0.` as 0): read on.
            if (end == len(self._buf) or self._buf[end] in _NUMBER_GOES_ON) and self._grow(size, limit):
                continue
            if end - self._pos > limit:
                raise self._too_large(limit)
            self._pos = end
            return value

    def _grow(self, size: int, limit: int) -> bool:
        if len(self._buf) - self._pos > limit:
            raise self._too_large(limit)
        return self._fill(size)

    def _too_large(self, limit: int) -> QualifyError:
        return self.error(f"a single value is larger than {limit:,} characters; test results never need this")

    # -- structure ------------------------------------------------------------------------------

    def members(self) -> Iterator[str]:
        """The keys of the object that starts here, one at a time; the caller reads or skips each value."""
        self.expect("{", "an object")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.string()
            self.expect(":", "':' after a key")
            yield key
            if self.peek() == ",":
                self._pos += 1
                continue
            self.expect("}", "',' or '}' in an object")
            return

    def items(self) -> Iterator[int]:
        """Walk the array that starts here; yields each element's line, the caller reads the element."""
        self.expect("[", "an array")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.line
            if self.peek() == ",":
                self._pos += 1
                continue
            self.expect("]", "',' or ']' in an array")
            return

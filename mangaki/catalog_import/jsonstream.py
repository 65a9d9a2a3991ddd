"""Read the elements of a JSON array one at a time, without loading the whole file.

Catalogue dumps (manami's anime-offline-database is tens of megabytes) are a top-level
object holding one big array; we decode its elements one by one with the standard
library's ``raw_decode`` on a sliding buffer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

_DECODER = json.JSONDecoder()
_CHUNK = 1 << 16
_SPACE = " \t\r\n"


class JSONStreamError(ValueError):
    pass


class _Reader:
    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.buffer = ""
        self.position = 0
        self.line = 1
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def peek(self) -> str:
        """The next non-space character ('' at end of file), not consumed."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in _SPACE:
                if self.buffer[self.position] == "\n":
                    self.line += 1
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self.fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            shown = self.buffer[self.position : self.position + 20] or "end of file"
            raise JSONStreamError(f"line {self.line}: expected {char!r}, found {shown!r}")
        self.position += 1

    def value(self):
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as exc:
                # A value cut by the buffer's end: read more and retry.
                if self.fill():
                    continue
                raise JSONStreamError(f"line {self.line + exc.lineno - 1}: {exc.msg}") from None
            if end == len(self.buffer) and not self.eof and isinstance(value, int | float):
                # A number at the very end of the buffer may continue in the next chunk.
                if self.fill():
                    continue
            self.line += self.buffer.count("\n", self.position, end)
            self.position = end
            return value


def iter_array(handle: TextIO, key: str | None) -> Iterator[tuple[int, object]]:
    """Yield ``(line_number, element)`` for each element of the array.

    ``key`` names the array inside a top-level object (``"data"``); ``None`` means the
    document itself is the array.

    Example::

        >>> import io
        >>> list(iter_array(io.StringIO('{"data": [1,\\n {"a": 2}]}'), "data"))
        [(1, 1), (2, {'a': 2})]
    """
    reader = _Reader(handle)
    if key is not None:
        reader.expect("{")
        while True:
            if reader.peek() != '"':
                raise JSONStreamError(f"line {reader.line}: no {key!r} array in the document")
            name = reader.value()
            reader.expect(":")
            if name == key:
                break
            reader.value()  # another top-level member, skipped
            if reader.peek() == "}":
                raise JSONStreamError(f"line {reader.line}: no {key!r} array in the document")
            reader.expect(",")
    reader.expect("[")
    if reader.peek() == "]":
        return
    while True:
        reader.peek()
        start = reader.line
        yield start, reader.value()
        following = reader.peek()
        if following == ",":
            reader.position += 1
        elif following == "]":
            return
        elif following == "":
            raise JSONStreamError(f"line {reader.line}: the file ends inside the array")
        else:
            raise JSONStreamError(f"line {reader.line}: expected ',' or ']', found {following!r}")

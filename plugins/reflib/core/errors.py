"""The library's own error type: every bad input is reported as a :class:`ReflibError`."""

from __future__ import annotations

from pathlib import Path


class ReflibError(Exception):
    """A problem with an input file, with the place it was found.

    ``str()`` gives ``path:line:column: message`` (line and column are 1-based and left out
    when unknown), the same shape as a checker finding, so editors can jump to it.
    """

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class SyntaxProblem(ReflibError):
    """A file that cannot be parsed (invalid YAML, an unclosed front matter): the checker
    reports it as a finding with this ``code`` instead of stopping."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 column: int | None = None, code: str = "yaml-syntax") -> None:
        super().__init__(message, path, line, column)
        self.code = code

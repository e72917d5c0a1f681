"""The psigraph error hierarchy: every user-facing failure names where, what and how to fix."""
from __future__ import annotations

import re
from dataclasses import dataclass

_LONG_QUOTED = re.compile(r"""(['"])([^'"\n]{72,})\1""")


def elide(text: str) -> str:
    """Shorten quoted values longer than 72 characters inside a message, so a line stays readable."""
    return _LONG_QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)[:40]}...{m.group(1)} ({len(m.group(2))} chars)", text)


class PsigraphError(Exception):
    """Base class. ``where`` locates the problem, ``hint`` says how to fix it."""

    code: str = "error"

    def __init__(self, message: str, *, where: str = "", expected: str = "", got: str = "", hint: str = "",
                 code: str = ""):
        self.message, self.where, self.expected, self.got, self.hint = message, where, expected, got, hint
        if code:
            self.code = code
        super().__init__(self.line())

    def line(self) -> str:
        """The error as one line: ``where: error: message (hint)``."""
        text = self.message
        if self.expected or self.got:
            text += f" (expected {self.expected or '?'}, got {self.got or '?'})"
        if self.hint:
            text += f"; {self.hint}"
        return elide(f"{self.where}: error: {text}" if self.where else f"error: {text}")


class ParamError(PsigraphError):
    """A parameter value is missing, of the wrong type or out of range."""

    code = "param.invalid"


class ParamErrors(ParamError):
    """Several bad params at once; ``errors`` holds one :class:`ParamError` per field."""

    code = "param.invalid"

    def __init__(self, errors: list):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, where=first.where, expected=first.expected, got=first.got,
                         hint=first.hint, code=first.code)

    def line(self) -> str:
        return "; ".join(e.line() for e in getattr(self, "errors", [])) or super().line()


class PortError(PsigraphError):
    """A port is unknown, or two ports cannot be connected."""

    code = "port.invalid"


class RateError(PortError):
    """Two connected ports run at different rates, or a rate is not a divisor of the master rate."""


class RegistryError(PsigraphError):
    """A node type id is unknown or registered twice."""


class GraphError(PsigraphError):
    """A graph edit or structural check failed."""


class SchedulingError(PsigraphError):
    """A timed change cannot be scheduled (unknown param, not hot, time in the past)."""


@dataclass(frozen=True)
class Issue:
    """One problem found in a graph file."""

    path: str          # dotted location inside the document, e.g. nodes.core.params.n
    message: str
    line: int | None = None
    file: str = ""
    severity: str = "error"
    code: str = ""     # structured kind, e.g. "param.range", "input.unknown_channel", "edge.rate"

    def format(self) -> str:
        if not self.file and not self.path and self.line is None:
            return elide(f"{self.severity}: {self.message}")
        loc = self.file or "<graph>"
        if self.line is not None:
            loc += f":{self.line}"
        where = f" {self.path}:" if self.path else ""
        return elide(f"{loc}:{where} {self.severity}: {self.message}")


class GraphFileError(PsigraphError):
    """A graph file has one or more problems; ``issues`` lists all of them."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("; ".join(i.format() for i in self.issues[:3]) +
                         (f" (+{len(self.issues) - 3} more)" if len(self.issues) > 3 else ""))

    def line(self) -> str:  # each issue is already a located line
        return "\n".join(i.format() for i in getattr(self, "issues", [])) or self.message

"""Safe YAML parsing that remembers the line of every mapping key and sequence item.

:func:`parse` composes the node tree with PyYAML's SafeLoader (no arbitrary
objects), converts it to plain Python values and records, for every dotted
document path (``nodes.core.params.n``, ``edges.3``), the 1-based line where it
is written. On a syntax error it records the problem, blanks the offending line
and tries again (a bounded number of times), so that one run reports the syntax
error *and* whatever else is wrong with the rest of the file.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_RECOVERIES = 20
_FLOAT12 = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")

# contexts whose *start* line is where the mistake is (the construct never closed)
_CONTEXT_IS_CULPRIT = ("while scanning a simple key", "while scanning a quoted scalar",
                       "while parsing a flow mapping", "while parsing a flow sequence",
                       "while scanning a block scalar")


@dataclass
class Problem:
    """A problem found while reading YAML: dotted path ('' for syntax), message, 1-based line."""

    path: str
    message: str
    line: int | None


@dataclass
class Parsed:
    data: object = None
    lines: dict = field(default_factory=dict)     # dotted path -> 1-based line
    problems: list = field(default_factory=list)  # [Problem]
    lossy: bool = False                           # content was dropped to recover
    comment: str = ""                             # leading comment block, kept on save


def parse(text: str) -> Parsed:
    """Parse ``text``; never raises for malformed YAML (see :class:`Parsed`)."""
    out = Parsed(comment=leading_comment(text))
    lines = text.splitlines(keepends=True)
    blanked: set[int] = set()
    for _ in range(MAX_RECOVERIES + 1):
        try:
            root = yaml.compose("".join(lines), Loader=yaml.SafeLoader)
            break
        except yaml.MarkedYAMLError as e:
            culprit = _culprit(e, len(lines))
            msg = f"YAML syntax: {e.problem or e.context or 'malformed document'}"
            notes = []
            if e.context and e.problem and e.context != _CONTEXT_IS_CULPRIT[0]:
                started = e.context_mark is not None and e.context_mark.line != culprit
                notes.append(e.context + (f" started at line {e.context_mark.line + 1}" if started else ""))
            if e.problem_mark is not None and culprit is not None and e.problem_mark.line != culprit:
                notes.append(f"noticed at line {e.problem_mark.line + 1}")
            if notes:
                msg += f" ({'; '.join(notes)})"
            if culprit is None or culprit in blanked:
                out.problems.append(Problem("", msg, (e.problem_mark.line + 1) if e.problem_mark else None))
                out.lossy = True
                return out
            out.problems.append(Problem("", msg, culprit + 1))
            blanked.add(culprit)
            lines[culprit] = "\n"
            out.lossy = True
        except yaml.YAMLError as e:       # reader errors (control characters) carry no mark object
            out.problems.append(Problem("", f"YAML: {e}", getattr(e, "line", None)))
            out.lossy = True
            return out
    else:
        out.problems.append(Problem("", f"too many YAML syntax errors (stopped after {MAX_RECOVERIES})", None))
        return out
    if root is None:
        out.data = None
        return out
    conv = _Converter(out)
    out.data = conv.value(root, "")
    return out


def _culprit(e: yaml.MarkedYAMLError, n_lines: int) -> int | None:
    """0-based index of the line to blank out for error ``e``."""
    pm, cm = e.problem_mark, e.context_mark
    if cm is not None and e.context in _CONTEXT_IS_CULPRIT and (pm is None or cm.line <= pm.line):
        return cm.line if cm.line < n_lines else None
    if pm is not None and pm.line < n_lines:
        return pm.line
    if cm is not None and cm.line < n_lines:
        return cm.line
    return None


def leading_comment(text: str) -> str:
    """The block of ``#`` lines at the very top of the file (without trailing blank lines)."""
    keep = []
    for line in text.splitlines():
        if line.startswith("#"):
            keep.append(line.rstrip())
        else:
            break
    return "\n".join(keep)


class _Converter:
    """Node tree → plain values, recording the line of every path."""

    def __init__(self, out: Parsed):
        self.out = out
        self.ctor = SafeConstructor()

    def problem(self, path: str, message: str, line: int | None) -> None:
        self.out.problems.append(Problem(path, message, line))

    def value(self, node, path: str):
        if isinstance(node, MappingNode):
            try:
                self.ctor.flatten_mapping(node)           # YAML merge keys (<<)
            except ConstructorError as e:
                self.problem(path, f"YAML: {e.problem}", node.start_mark.line + 1)
                self.out.lossy = True
                return {}
            result: dict = {}
            for knode, vnode in node.value:
                key = self.value(knode, path + ".?") if not isinstance(knode, ScalarNode) else self.scalar(knode, path)
                line = knode.start_mark.line + 1
                if isinstance(key, (dict, list)):
                    self.problem(path, "a mapping key must be a plain value, not a collection", line)
                    self.out.lossy = True
                    continue
                sub = f"{path}.{key}" if path else str(key)
                if key in result:
                    self.problem(sub, f"duplicate key {key!r} (first at line {self.out.lines.get(sub)}); "
                                 "the later one wins", line)
                    self.out.lossy = True
                self.out.lines[sub] = line
                result[key] = self.value(vnode, sub)
            return result
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                sub = f"{path}.{i}" if path else str(i)
                self.out.lines[sub] = item.start_mark.line + 1
                items.append(self.value(item, sub))
            return items
        return self.scalar(node, path)

    def scalar(self, node: ScalarNode, path: str):
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value                              # keep dates as the text written
        if node.tag == "tag:yaml.org,2002:str" and node.style is None and _FLOAT12.match(node.value):
            return float(node.value)                       # 1e-5: a float in YAML 1.2, a string in 1.1
        try:
            v = self.ctor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as e:
            self.problem(path, f"YAML: {getattr(e, 'problem', e)}", node.start_mark.line + 1)
            self.out.lossy = True
            return None
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (datetime.date, bytes, set)):
            self.problem(path, f"unsupported YAML value of type {type(v).__name__}; write a plain string instead",
                         node.start_mark.line + 1)
            self.out.lossy = True
            return None
        return v

"""Graph files (format 1): the one load pipeline and the canonical writer.

Load pipeline, used by the CLI, the editor and the tests alike::

    safe YAML (line of every key/item, syntax errors recovered) → migrate
    → structure check → Graph → semantic check (psigraph.compile.analyze)

Every problem of every stage is collected and reported together as an
:class:`~psigraph.errors.Issue` whose ``format()`` is
``file.yaml:LINE: nodes.core.params.n: error: must be >= 1 (got 0)``.

* :func:`load_report` never raises for file problems: it returns
  ``(graph or None, issues)``. The graph is None only when the file could not be
  represented faithfully (YAML syntax errors, malformed sections or entries);
  a graph with semantic errors (unknown node type, bad param, rate mismatch...)
  is returned so that an editor can show and fix it, and saving it loses nothing.
* :func:`load` / :func:`loads` raise :class:`~psigraph.errors.GraphFileError`
  listing every issue when there is any error (``strict=False`` returns the
  graph of a file with semantic errors instead).
* Node types that are not registered become placeholders (``NodeSpec.placeholder``)
  that keep their params and other keys verbatim; the ``editor:`` section and
  unknown top-level sections are kept verbatim too.

Canonical form written by :func:`dumps` (load → save → load → save is byte-identical):

* key order ``psigraph``, ``graph`` (``name``, ``master_rate``, ``seed``,
  ``rates`` from fastest to slowest), ``nodes``, ``edges``, ``editor``, then
  unknown sections sorted by name; a leading ``#`` comment block is kept;
* nodes and edges in graph order (the order of the file, new ones appended) —
  the author's dataflow order reads better than an alphabetical one and is
  just as deterministic;
* a node is ``id: {type: T, params: {...}}`` (only the params given explicitly,
  in the declaration order of the node's Params class — alphabetical for a
  placeholder), other keys sorted after ``params``; a mapping or list is written
  in flow style when it fits in 100 columns, in block style otherwise;
* an edge is ``a.y -> b.x``, or ``{from: a.y, to: b.x, delay: N}`` with a delay;
* floats are written with ``repr`` (exact round trip), strings are quoted only
  when a plain scalar would read back differently.
"""
from __future__ import annotations

import math
import numbers
import os
import re
from dataclasses import replace

import yaml

from . import registry
from ._yamlpos import _FLOAT12, parse
from .errors import GraphFileError, Issue
from .graph import Edge, Graph, NodeSpec
from .migrate import CURRENT, migrate, rename_path
from .timebase import DEFAULT_MASTER_RATE
from .util import did_you_mean

__all__ = ["load", "loads", "load_report", "dumps", "save", "FORMAT_VERSION"]

FORMAT_VERSION = CURRENT
SECTIONS = ("psigraph", "graph", "nodes", "edges", "editor")
GRAPH_KEYS = ("name", "master_rate", "seed", "rates")
NODE_KEYS = ("type", "params")
EDGE_KEYS = ("from", "to", "delay")
ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REF_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$")
WIDTH = 100


# =============================================================== loading
def load(path: str | os.PathLike, *, strict: bool = True) -> Graph:
    """Load a graph file; raises GraphFileError listing every problem (see module doc)."""
    from pathlib import Path
    graph, issues = load_report(Path(path), filename=os.fspath(path))
    return _finish(graph, issues, strict)


def loads(text: str, filename: str = "<string>", *, strict: bool = True) -> Graph:
    """Load a graph from YAML text (``filename`` is used in messages)."""
    graph, issues = load_report(text, filename=filename)
    return _finish(graph, issues, strict)


def _finish(graph, issues, strict):
    errors = [i for i in issues if i.severity == "error"]
    if graph is None or (errors and strict):
        raise GraphFileError(issues)
    return graph


def load_report(source: str | os.PathLike, filename: str | None = None) -> tuple[Graph | None, list[Issue]]:
    """Run the whole pipeline and collect every issue; never raises for a bad file.

    ``source`` is a file path (a PathLike, or a one-line string naming a file)
    or YAML text; ``filename`` names the text in messages.
    """
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and (os.path.exists(source) or source.endswith((".yaml", ".yml")))):
        path = os.fspath(source)
        name = filename or path
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            return None, [Issue("", f"cannot read the file: {e.strerror or e}", None, name)]
        except UnicodeDecodeError as e:
            return None, [Issue("", f"not UTF-8 text ({e.reason} at byte {e.start})", None, name)]
    else:
        text, name = str(source), filename or "<string>"
    return _Loader(name).run(text)


class _Loader:
    def __init__(self, name: str):
        self.name = name
        self.issues: list[Issue] = []
        self.lines: dict[str, int] = {}
        self.lossy = False
        self.edge_paths: list[str] = []       # graph edge index -> document path
        self.reported: set[str] = set()       # paths with a structural error
        self.targets: set[tuple] = set()      # (node, port) named as the target of any edge in the file

    # ---- helpers ---------------------------------------------------------------
    def line_of(self, path: str) -> int | None:
        p = path
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p.rpartition(".")[0]
        return None

    def add(self, path: str, message: str, severity: str = "error", line: int | None = None, lossy=False):
        if line is None:
            line = self.line_of(path) if path else None
        self.issues.append(Issue(path, message, line, self.name, severity, code="file." + severity))
        if severity == "error":
            self.reported.add(path)
        self.lossy = self.lossy or lossy

    def result(self, graph):
        order = {id(i): n for n, i in enumerate(self.issues)}
        issues = sorted(self.issues, key=lambda i: (i.line is None, i.line or 0, order[id(i)]))
        return (None if self.lossy else graph), issues

    # ---- pipeline ----------------------------------------------------------------
    def run(self, text: str):
        parsed = parse(text)
        self.lines = parsed.lines
        for p in parsed.problems:
            self.add(p.path, p.message, line=p.line)
        self.lossy = parsed.lossy
        doc = parsed.data
        if doc is None:
            if not parsed.problems:
                self.add("", "the file is empty; a graph file starts with 'psigraph: 1'")
            self.lossy = True
            return self.result(None)
        if not isinstance(doc, dict):
            self.add("", f"a graph file must be a mapping (psigraph:, graph:, nodes:, edges:), "
                     f"not a {_kind(doc)}", line=1, lossy=True)
            return self.result(None)
        doc = self._version(doc)
        if doc is None:
            return self.result(None)
        graph = self._structure(doc)
        graph.comment = parsed.comment
        self._semantics(graph)
        return self.result(graph)

    def _version(self, doc: dict):
        if "psigraph" not in doc:
            self.add("", f"missing format version: add 'psigraph: {CURRENT}' as the first line", line=1, lossy=True)
            return None
        v = doc["psigraph"]
        if isinstance(v, bool) or not isinstance(v, int):
            self.add("psigraph", f"format version must be an integer such as {CURRENT} (got {v!r})", lossy=True)
            return None
        if v > CURRENT:
            self.add("psigraph", f"this file was written by a newer psigraph (format {v}); this version reads "
                     f"format <= {CURRENT}: upgrade psigraph (pip install -U psigraph)", lossy=True)
            return None
        if v < CURRENT:
            try:
                doc, renames = migrate(doc, v)
            except ValueError as e:
                self.add("psigraph", str(e), lossy=True)
                return None
            self.lines = {rename_path(p, renames): ln for p, ln in self.lines.items()}
            self.add("psigraph", f"format {v} file read as format {CURRENT}; saving writes format {CURRENT}",
                     "warning")
        return doc

    def _structure(self, doc: dict) -> Graph:
        for key in doc:
            if key not in SECTIONS:
                self.add(str(key), f"unknown top-level section {key!r}{did_you_mean(key, SECTIONS)}; kept as is",
                         "warning")
        g = self._graph_section(doc.get("graph", {}))
        nodes = doc.get("nodes")
        if nodes is None:
            self.add("nodes" if "nodes" in doc else "", "missing 'nodes:' section (a mapping of node id -> "
                     "{type: ..., params: {...}})", line=None if "nodes" in doc else 1)
        elif not isinstance(nodes, dict):
            self.add("nodes", f"'nodes' must be a mapping of node id -> {{type: ..., params: ...}}, "
                     f"not a {_kind(nodes)}", lossy=True)
        else:
            for nid, entry in nodes.items():
                self._node(g, nid, entry)
        edges = doc.get("edges", [])
        if edges is None:
            edges = []
        if not isinstance(edges, list):
            self.add("edges", f"'edges' must be a list of 'a.y -> b.x' strings, not a {_kind(edges)}", lossy=True)
            edges = []
        seen: dict[tuple, int] = {}
        for i, item in enumerate(edges):
            e = self._edge(f"edges.{i}", item)
            if e is None:
                continue
            key = (e.src, e.src_port, e.dst, e.dst_port)
            if key in seen:
                self.add(f"edges.{i}", f"duplicate edge {e.text()} (also edges.{seen[key]}, line "
                         f"{self.line_of(f'edges.{seen[key]}')}); remove one", lossy=True)
                continue
            seen[key] = i
            g.edges.append(e)
            self.edge_paths.append(f"edges.{i}")
        editor = doc.get("editor", {})
        if editor is None:
            editor = {}
        if not isinstance(editor, dict):
            self.add("editor", f"'editor' must be a mapping, not a {_kind(editor)}", lossy=True)
            editor = {}
        g.editor = editor
        g.extra = {k: v for k, v in doc.items() if k not in SECTIONS}
        return g

    def _graph_section(self, sec) -> Graph:
        g = Graph()
        if sec is None:
            sec = {}
        if not isinstance(sec, dict):
            self.add("graph", f"'graph' must be a mapping (name, master_rate, seed, rates), not a {_kind(sec)}",
                     lossy=True)
            return g
        for key in sec:
            if key not in GRAPH_KEYS:
                self.add(f"graph.{key}", f"unknown graph setting {key!r}{did_you_mean(key, GRAPH_KEYS)}; "
                         f"known: {', '.join(GRAPH_KEYS)}", lossy=True)
        if "name" in sec:
            if isinstance(sec["name"], (str, int, float)) and not isinstance(sec["name"], bool):
                g.name = str(sec["name"])
            else:
                self.add("graph.name", f"name must be a string (got {sec['name']!r})", lossy=True)
        mr = sec.get("master_rate", DEFAULT_MASTER_RATE)
        if isinstance(mr, bool) or not isinstance(mr, int) or mr <= 0:
            self.add("graph.master_rate", f"master_rate must be a positive integer in Hz (got {mr!r})", lossy=True)
        else:
            g.master_rate = mr
        seed = sec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            self.add("graph.seed", f"seed must be an integer (got {seed!r})", lossy=True)
        else:
            g.seed = seed
        if "rates" in sec:
            rates = sec["rates"]
            if not isinstance(rates, dict):
                self.add("graph.rates", f"rates must be a mapping of name -> Hz, e.g. {{audio: 24000, "
                         f"control: 200}} (got {rates!r})", lossy=True)
            else:
                good = {}
                for k, hz in rates.items():
                    if not isinstance(k, str) or not ID_RE.match(k):
                        self.add(f"graph.rates.{k}", f"rate name {k!r} must be an identifier", lossy=True)
                    elif isinstance(hz, bool) or not isinstance(hz, (int, float)):
                        self.add(f"graph.rates.{k}", f"rate must be a number in Hz (got {hz!r})", lossy=True)
                    else:
                        good[k] = hz
                g.rates = good
        return g

    def _node(self, g: Graph, nid, entry) -> None:
        path = f"nodes.{nid}"
        if not isinstance(nid, str) or not ID_RE.match(nid):
            self.add(path, f"node id {nid!r} must be a letter or _ followed by letters, digits or _", lossy=True)
            g.nodes[str(nid)] = NodeSpec("", placeholder=True)   # stand-in: edges to it are not reported again
            return
        if not isinstance(entry, dict):
            self.add(path, f"node {nid!r} must be a mapping like {{type: gain, params: {{gain: 0.5}}}}, "
                     f"not {entry!r}", lossy=True)
            g.nodes[nid] = NodeSpec("", placeholder=True)
            return
        tref = entry.get("type")
        if tref is None or not isinstance(tref, str) or not tref:
            self.add(f"{path}.type" if "type" in entry else path,
                     f"node {nid!r} needs 'type: <node type>' (a registry id; see `psigraph nodes`)", lossy=True)
            g.nodes[nid] = NodeSpec("", placeholder=True)
            return
        params = entry.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            self.add(f"{path}.params", f"params must be a mapping of name -> value (got {params!r})", lossy=True)
            params = {}
        for k in params:
            if not isinstance(k, str):
                self.add(f"{path}.params.{k}", f"param name {k!r} must be a string", lossy=True)
        extra = {k: v for k, v in entry.items() if k not in NODE_KEYS}
        for k in extra:
            self.add(f"{path}.{k}", f"unknown node key {k!r}{did_you_mean(k, NODE_KEYS)}; kept as is", "warning")
        g.nodes[nid] = NodeSpec(tref, dict(params), placeholder=not registry.has(tref), extra=extra)

    def _edge(self, path: str, item) -> Edge | None:
        delay = 0
        if isinstance(item, str):
            left, arrow, right = item.partition("->")
            if not arrow:
                self.add(path, f"edge {item!r} must look like 'node.port -> node.port'", lossy=True)
                return None
            m = REF_RE.match(right)
            if m:
                self.targets.add(m.groups())
        elif isinstance(item, dict):
            for k in item:
                if k not in EDGE_KEYS:
                    self.add(f"{path}.{k}", f"unknown edge key {k!r}{did_you_mean(k, EDGE_KEYS)}; "
                             "an edge is {from: a.y, to: b.x, delay: N}", lossy=True)
            if "from" not in item or "to" not in item:
                self.add(path, "an edge mapping needs 'from' and 'to' (e.g. {from: a.y, to: b.x, delay: 1})",
                         lossy=True)
                return None
            left, right = item["from"], item["to"]
            delay = item.get("delay", 0)
            if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
                self.add(f"{path}.delay", f"delay must be an integer number of ticks >= 0 (got {delay!r})",
                         lossy=True)
                return None
        else:
            self.add(path, f"an edge is 'a.y -> b.x' or {{from: a.y, to: b.x, delay: N}}, not {item!r}", lossy=True)
            return None
        ends = []
        for side, ref in (("source", left), ("target", right)):
            m = REF_RE.match(ref) if isinstance(ref, str) else None
            if not m:
                self.add(path, f"edge {side} {str(ref).strip()!r} must look like node.port", lossy=True)
                return None
            ends.append(m.groups())
        (s, sp), (d, dp) = ends
        self.targets.add((d, dp))
        return Edge(s, sp, d, dp, delay)

    def _semantics(self, g: Graph) -> None:
        from .compile import analyze
        g.source_file = self.name
        _, issues = analyze(g)
        seen = {(i.path, i.message) for i in self.issues}
        for issue in issues:
            path = _remap_edge(issue.path, self.edge_paths)
            if any(path == p or path.startswith(p + ".") for p in self.reported if p):
                continue                           # already reported by the structure check
            if (path, issue.message) in seen or self._cascade(issue):
                continue
            seen.add((path, issue.message))
            self.issues.append(replace(issue, path=path, file=self.name, line=self.line_of(path)))

    def _cascade(self, issue: Issue) -> bool:
        """An input reported unconnected although the file connects it (from a bad edge or a placeholder)."""
        if issue.code != "input.unconnected":
            return False
        _, nid, _, port = issue.path.split(".", 3)
        return (nid, port) in self.targets


def _remap_edge(path: str, edge_paths: list[str]) -> str:
    m = re.match(r"^edges\.(\d+)(.*)$", path)
    if m and int(m.group(1)) < len(edge_paths):
        return edge_paths[int(m.group(1))] + m.group(2)
    return path


def _kind(v) -> str:
    return {dict: "mapping", list: "list", str: "string", type(None): "null", bool: "boolean", int: "number",
            float: "number"}.get(type(v), type(v).__name__)


# =============================================================== saving
def save(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` in canonical form (atomically: a temporary file is renamed over ``path``)."""
    from .outputs import atomic_write
    data = dumps(graph).encode("utf-8")
    atomic_write(os.fspath(path), lambda f: f.write(data))


def dumps(graph: Graph) -> str:
    """The canonical YAML text of ``graph`` (see the module docstring)."""
    out: list[str] = []
    comment = graph.comment
    if comment:
        out += [ln if ln.startswith("#") else f"# {ln}" for ln in comment.splitlines()]
    out.append(f"psigraph: {FORMAT_VERSION}")
    out.append("graph:")
    out.append(f"  name: {_scalar(graph.name)}")
    out.append(f"  master_rate: {_scalar(graph.master_rate)}")
    out.append(f"  seed: {_scalar(graph.seed)}")
    out += _entry("rates", dict(sorted(graph.rates.items(), key=_rate_key)), 2)
    if graph.nodes:
        out.append("nodes:")
        for nid, spec in graph.nodes.items():
            body = {"type": spec.type}
            if spec.params:
                body["params"] = _ordered_params(spec)
            for k in sorted(spec.extra, key=_key_order):
                body[k] = _sorted_map(spec.extra[k])
            out += _entry(nid, body, 2)
    else:
        out.append("nodes: {}")
    if graph.edges:
        out.append("edges:")
        for e in graph.edges:
            item = e.text() if not e.delay else {"from": f"{e.src}.{e.src_port}", "to": f"{e.dst}.{e.dst_port}",
                                                  "delay": e.delay}
            out += _item(item, 2)
    if graph.editor:
        out += _entry("editor", _sorted_map(graph.editor), 0, flow_ok=False)
    for k in sorted(graph.extra, key=_key_order):
        if k in SECTIONS:
            continue
        out += _entry(k, _sorted_map(graph.extra[k]), 0, flow_ok=False)
    return "\n".join(out) + "\n"


def _ordered_params(spec: NodeSpec) -> dict:
    """Params in their declaration order (the node's Params class); unknown names after, sorted."""
    declared: list = []
    if not spec.placeholder:
        try:
            declared = [f.name for f in registry.get(spec.type).Params.fields()]
        except Exception:  # noqa: BLE001 - an unusable class just means alphabetical order
            declared = []
    rank = {n: i for i, n in enumerate(declared)}
    keys = sorted(spec.params, key=lambda k: (k not in rank, rank.get(k, 0), _key_order(k)))
    return {k: _sorted_map(spec.params[k]) for k in keys}


def _rate_key(item):
    name, hz = item
    try:
        return (0, -float(hz), str(name))
    except (TypeError, ValueError):
        return (1, 0.0, str(name))


def _key_order(k):
    return (type(k).__name__ != "str", str(k))


def _sorted_map(v):
    """Mappings with sorted keys, recursively (lists keep their order)."""
    if isinstance(v, dict):
        return {k: _sorted_map(v[k]) for k in sorted(v, key=_key_order)}
    if isinstance(v, (list, tuple)):
        return [_sorted_map(x) for x in v]
    return v


def _entry(key, value, indent: int, flow_ok: bool = True) -> list[str]:
    """Lines for ``key: value`` at ``indent`` spaces."""
    pad = " " * indent
    head = f"{pad}{_scalar(key)}:"
    if not isinstance(value, (dict, list, tuple)):
        return [f"{head} {_scalar(value)}"]
    if not value:
        return [f"{head} {'{}' if isinstance(value, dict) else '[]'}"]
    flow = _flow(value) if flow_ok else None
    if flow is not None and len(head) + 1 + len(flow) <= WIDTH:
        return [f"{head} {flow}"]
    lines = [head]
    if isinstance(value, dict):
        for k, v in value.items():
            lines += _entry(k, v, indent + 2)
    else:
        for v in value:
            lines += _item(v, indent + 2)
    return lines


def _item(value, indent: int) -> list[str]:
    """Lines for a block-sequence item ``- value`` at ``indent`` spaces."""
    pad = " " * indent
    if not isinstance(value, (dict, list, tuple)) or not value:
        return [f"{pad}- {_flow(value)}"]
    flow = _flow(value)
    if flow is not None and indent + 2 + len(flow) <= WIDTH:
        return [f"{pad}- {flow}"]
    if isinstance(value, dict):
        lines = []
        for n, (k, v) in enumerate(value.items()):
            sub = _entry(k, v, indent + 2)
            if n == 0:
                sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            lines += sub
        return lines
    lines = [f"{pad}-"]
    for v in value:
        lines += _item(v, indent + 2)
    return lines


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@+\-<>=()~* ]*$")
_RESOLVER = yaml.resolver.Resolver()


def _scalar(v) -> str:
    """One scalar in a form that reads back as exactly the same value."""
    if v is None:
        return "null"
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return ".nan"
        if math.isinf(f):
            return ".inf" if f > 0 else "-.inf"
        r = float.__repr__(f)
        if "e" in r and "." not in r.split("e")[0]:        # YAML 1.1 floats need a dot: 1e-05 -> 1.0e-05
            mant, exp = r.split("e")
            r = f"{mant}.0e{exp}"
        return r
    s = str(v)
    if (_PLAIN.match(s) and not s.endswith(" ") and "  " not in s and not _FLOAT12.match(s)
            and _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) == "tag:yaml.org,2002:str"):
        return s
    return _quote(s)


def _quote(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= o <= 0x7E or (0xA0 <= o <= 0xD7FF and o not in (0x2028, 0x2029)) \
                or 0xE000 <= o <= 0xFFFD or o >= 0x10000:
            out.append(ch)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        else:
            out.append(f"\\u{o:04x}")
    out.append('"')
    return "".join(out)

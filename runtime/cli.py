"""The ``psigraph`` command line.

Subcommands here: ``validate``, ``run``, ``nodes``, ``schema``, ``fmt``.

Exit codes: 0 ok; 1 the graph (or a ``-p`` override) has an error, or a file
cannot be read/written; 2 usage error (bad arguments, malformed ``-p``);
3 internal error (a bug: one line, the traceback with ``PSIGRAPH_DEBUG=1``).
A user error is one line per problem on stderr, never a traceback.

Adding a subcommand: write a module with

    def register(subparsers):            # cheap: no heavy imports here
        p = subparsers.add_parser("say", help="...")
        p.add_argument(...)
        p.set_defaults(run=run)

    def run(args) -> int: ...            # heavy imports inside

and declare it in the entry-point group ``psigraph.commands`` of your package
(``say = "psigraph.runtime.say"`` in pyproject.toml). A command whose module
fails to import shows up as a subcommand that reports the import error.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

COMMAND_GROUP = "psigraph.commands"

DEFAULT_DURATION = 1.0
MAX_DURATION = 86400.0
MAX_BLOCK = 1 << 20


class UsageError(Exception):
    """A malformed command line (exit 2)."""


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


# ------------------------------------------------------------------ validate
def _register_validate(sub) -> None:
    p = sub.add_parser("validate", help="check graph files and print every problem",
                       description="Check graph files; prints each problem as FILE:LINE: path: error: message. "
                       "Exit 0 when every file is valid, 1 otherwise.")
    p.add_argument("files", nargs="+", metavar="G.yaml", help="graph files ('-' reads stdin)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing for valid files, no warnings")
    p.set_defaults(run=run_validate)


def run_validate(args) -> int:
    from psigraph.fileformat import load_report
    bad = 0
    for path in args.files:
        if path == "-":
            graph, issues = load_report(sys.stdin.read(), filename="<stdin>")
        elif os.path.isdir(path):
            graph, issues = None, [_dir_issue(path)]
        else:
            graph, issues = load_report(Path(path), filename=path)
        errors = [i for i in issues if i.severity == "error"]
        for issue in issues:
            if issue.severity == "error" or not args.quiet:
                _err(issue.format())
        if errors:
            bad += 1
        elif not args.quiet:
            n = len(graph.nodes) if graph is not None else 0
            print(f"OK {path} ({n} nodes, {len(graph.edges) if graph else 0} edges)")
    return 1 if bad else 0


def _dir_issue(path):
    from psigraph.errors import Issue
    return Issue("", "is a directory, not a graph file", None, path)


# ------------------------------------------------------------------ run
def _register_run(sub) -> None:
    p = sub.add_parser("run", help="run a graph headless and offline (as fast as possible)",
                       description="Run a graph offline. Sinks write their files (relative paths under --out). "
                       f"The default duration is {DEFAULT_DURATION:g} s of graph time.")
    p.add_argument("graph", metavar="G.yaml")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NODE.PARAM=VALUE",
                   help="override a param (value read as YAML: 0.5, true, audio, [1, 2]); repeatable")
    p.add_argument("--duration", type=_positive_float, default=DEFAULT_DURATION, metavar="S",
                   help=f"seconds of graph time to run (default {DEFAULT_DURATION:g})")
    p.add_argument("--block", type=_positive_int, default=None, metavar="N",
                   help="scheduler block in master samples (default 480); results do not depend on it")
    p.add_argument("--out", metavar="DIR", default=None, help="directory for relative sink paths (created)")
    p.add_argument("--seed", type=int, default=None, help="override the graph's seed")
    p.add_argument("--profile", action="store_true", help="print the per-node profile table")
    p.set_defaults(run=run_run)


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0 (got {text})")
    if v > MAX_DURATION:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DURATION:g} s, one day (got {text})")
    return v


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 1 <= v <= MAX_BLOCK:
        raise argparse.ArgumentTypeError(f"must be 1..{MAX_BLOCK} master samples (got {v})")
    return v


def parse_overrides(items: list[str]) -> dict:
    """['gain.gain=0.5'] → {'gain.gain': 0.5}; values are YAML scalars (or flow lists/maps)."""
    import yaml

    from psigraph._yamlpos import _FLOAT12
    out = {}
    for item in items:
        ref, eq, text = item.partition("=")
        node, dot, name = ref.strip().partition(".")
        if not eq or not dot or not node or not name or "." in name:
            raise UsageError(f"-p {item!r}: expected NODE.PARAM=VALUE (e.g. -p gain.gain=0.5)")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as e:
            raise UsageError(f"-p {item!r}: value is not valid YAML ({getattr(e, 'problem', e)})") from None
        if isinstance(value, str) and _FLOAT12.match(text.strip()):
            value = float(text)                # 1e-5 is a float (YAML 1.2), as in graph files
        out[f"{node.strip()}.{name.strip()}"] = value
    return out


def check_overrides(graph, overrides: dict) -> list[str]:
    """Problems of -p overrides against a loaded graph (one message each)."""
    from psigraph import registry
    from psigraph.errors import PsigraphError
    from psigraph.util import did_you_mean
    problems = []
    for ref, value in overrides.items():
        nid, name = ref.split(".", 1)
        if nid not in graph.nodes:
            names = list(graph.nodes)
            listing = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
            problems.append(f"-p {ref}: the graph has no node {nid!r}" + did_you_mean(nid, graph.nodes)
                            + f"; nodes: {listing}")
            continue
        cls = registry.get(graph.nodes[nid].type)
        names = [f.name for f in cls.Params.fields()]
        if name not in names:
            problems.append(f"-p {ref}: node {nid!r} ({cls.type_id}) has no param {name!r}"
                            + did_you_mean(name, names) + f"; params: {', '.join(names) or '(none)'}")
            continue
        try:
            cls.Params.from_dict({**graph.nodes[nid].params, name: value})
        except PsigraphError as e:
            problems.append(f"-p {ref}={value!r}: {e.message}")
    return problems


def run_run(args) -> int:
    from psigraph.fileformat import load
    from psigraph.runtime import Session
    overrides = parse_overrides(args.param)
    graph = load(args.graph)
    problems = check_overrides(graph, overrides)
    if problems:
        for p in problems:
            _err(f"error: {p}")
        return 1
    kw = {"params": overrides, "out_dir": args.out, "seed": args.seed}
    if args.block:
        kw["block"] = args.block
    wall = time.perf_counter()
    session = Session(graph, **kw)
    try:
        session.run(duration=args.duration)
    finally:
        session.close()
    wall = time.perf_counter() - wall
    written = []
    for nid, spec in session.graph.nodes.items():
        path = spec.params.get("path")
        if isinstance(path, str) and nid in graph.nodes and os.path.exists(path):
            written.append(path)
    speed = f"{args.duration / wall:.1f}x real time" if wall > 0 else "instant"
    print(f"ran {args.graph}: {args.duration:g} s ({session.now} master samples) in {wall:.3f} s wall "
          f"({speed}), {len(graph.nodes)} nodes, block {session.block}"
          + (f"; wrote {', '.join(written)}" if written else ""))
    if args.profile:
        print(format_profile(session))
    return 0


def format_profile(session) -> str:
    """The per-node profile as a table, heaviest node first."""
    prof = session.profile()
    rows = sorted(prof.items(), key=lambda kv: -kv[1]["share"])
    types = {nid: type(session.node(nid)).type_id for nid in prof}
    w = max([4] + [len(n) for n in prof])
    tw = max([4] + [len(t) for t in types.values()])
    lines = [f"{'node':<{w}}  {'type':<{tw}}  {'calls':>8}  {'mean µs':>9}  {'max µs':>9}  {'share %':>8}"]
    for nid, p in rows:
        lines.append(f"{nid:<{w}}  {types[nid]:<{tw}}  {p['calls']:>8}  {p['mean_us']:>9.1f}  {p['max_us']:>9.1f}"
                     f"  {100 * p['share']:>8.3f}")
    return "\n".join(lines)


# ------------------------------------------------------------------ nodes
def _register_nodes(sub) -> None:
    p = sub.add_parser("nodes", help="list node types with ports, rates, channels and params")
    p.add_argument("types", nargs="*", metavar="TYPE", help="only these types (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable list (one object per type)")
    p.add_argument("--all", action="store_true", help="also list test helpers (vector_source, ...)")
    p.set_defaults(run=run_nodes)


def describe_all(types: list[str] | None = None, hidden: bool = False) -> list[dict]:
    """``Node.describe()`` of every registered type (or of the named ones), sorted by id.
    Test helpers (``HIDDEN``) are left out unless named or ``hidden``."""
    from psigraph import registry
    if types:
        classes = [registry.get(t) for t in types]
    else:
        classes = [c for c in registry.all_types() if hidden or not c.HIDDEN]
    return [_plain(cls.describe()) for cls in classes]


def _plain(v):
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "numerator") and hasattr(v, "denominator"):
        return float(v)
    return str(v)


def run_nodes(args) -> int:
    from psigraph import registry
    info = describe_all(args.types, hidden=args.all)
    for msg in registry.load_errors:
        _err(f"warning: {msg}")
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    print(format_nodes(info, width=_terminal_width(), full=bool(args.types)), end="")
    return 0


def _terminal_width() -> int:
    """COLUMNS when set, else the terminal's width, else 100 (pipes and files)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) >= 40:
        return int(env)
    if sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return 100


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _short(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (terminal tools like awk count bytes), with '...'."""
    if _bytes(text) <= limit:
        return text
    while _bytes(text) > limit - 3:
        text = text[:-1]
    return text + "..."


def _wrap(text: str, width: int, indent: str = "") -> list:
    """``text`` wrapped so that every line (after ``indent``) fits in ``width`` UTF-8 bytes."""
    import textwrap
    w = width
    while True:
        lines = textwrap.wrap(text, w, subsequent_indent=indent) or [""]
        if all(_bytes(line) <= width for line in lines) or w <= 20:
            return lines
        w -= 2


def format_nodes(info: list[dict], width: int = 100, full: bool = False) -> str:
    """A readable listing, one block per type, one line per port and param, fitted to ``width``
    columns: long defaults and docs are elided, or wrapped in ``full`` mode (one type in full)."""
    out = []
    for d in info:
        head = d["type"] + (f"@{d['version']}" if d.get("version", 1) != 1 else "")
        alias = f"  (alias {', '.join(d['aliases'])})" if d.get("aliases") else ""
        title = f"{head}  [{d.get('category', '')}]{alias}  {d.get('doc', '')}".rstrip()
        out.extend(_wrap(title, width, "    ") if full else [_short(title, width)])
        rows = []
        for p in d.get("inputs", []) + d.get("outputs", []):
            kind = p["kind"]
            detail = ""
            if kind == "signal":
                detail = f"rate {_rule(p.get('rate'))}, channels {_rule(p.get('channels'))}"
            if p.get("optional"):
                detail += ", optional" if detail else "optional"
            rows.append(("in " if p["direction"] == "in" else "out", p["name"], kind, detail, p.get("doc", "")))
        hot = set(d.get("hot_params", []))
        for p in d.get("params", []):
            lim = []
            for k, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                if k in p:
                    lim.append(f"{sym} {p[k]}")
            if "choices" in p:
                lim.append("one of " + "|".join(map(str, p["choices"])))
            default = f" = {p['default']!r}" if "default" in p else " (required)"
            if not full:
                default = _short(default, 28)
            extra = ", ".join(lim + ([p["unit"]] if p.get("unit") else []) + (["hot"] if p["name"] in hot else []))
            rows.append(("param", p["name"], p.get("type", ""), default.strip() + (f"  ({extra})" if extra else ""),
                         p.get("doc", "")))
        if not rows:
            rows.append(("", "(no ports, no params)", "", "", ""))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            head = "  " + "  ".join(r[i].ljust(widths[i]) for i in range(3))
            text = "  ".join(x for x in (r[3], r[4]) if x)
            if full:
                lines = _wrap(text, max(20, width - _bytes(head) - 2))
                out.append((head + "  " + lines[0]).rstrip())
                out.extend(" " * (len(head) + 2) + line for line in lines[1:])
            else:
                out.append(_short((head + "  " + text).rstrip(), width))
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "(no node types registered)\n"


def _rule(v) -> str:
    if isinstance(v, str) and v.startswith("param:"):
        return f"<{v[6:]}>"
    return str(v)


# ------------------------------------------------------------------ schema
def _register_schema(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of graph files (from the registry)")
    p.add_argument("--indent", type=int, default=2, help="JSON indent (default 2)")
    p.set_defaults(run=run_schema)


def run_schema(args) -> int:
    from psigraph.schema import json_schema
    print(json.dumps(json_schema(), indent=args.indent, ensure_ascii=False))
    return 0


# ------------------------------------------------------------------ fmt
def _register_fmt(sub) -> None:
    p = sub.add_parser("fmt", help="rewrite graph files in canonical form",
                       description="Rewrite graph files in the canonical form that saving produces "
                       "(comments other than the leading block are dropped). With --check, only report "
                       "which files are not canonical (exit 1 if any).")
    p.add_argument("files", nargs="+", metavar="G.yaml")
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if a file would change")
    p.set_defaults(run=run_fmt)


def run_fmt(args) -> int:
    from psigraph.fileformat import dumps, load_report
    status = 0
    for path in args.files:
        graph, issues = load_report(Path(path), filename=path)
        if graph is None:
            for i in issues:
                _err(i.format())
            _err(f"error: {path}: not rewritten (fix the problems above first)")
            status = 1
            continue
        with open(path, encoding="utf-8") as f:
            old = f.read()
        new = dumps(graph)
        if old == new:
            continue
        if args.check:
            print(f"would reformat {path}")
            status = 1
        else:
            from psigraph.fileformat import save
            save(graph, path)
            print(f"reformatted {path}")
    return status


# ------------------------------------------------------------------ main
BUILTIN = [_register_validate, _register_run, _register_nodes, _register_schema, _register_fmt]


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors kept to readable lines (long values are elided)."""

    def error(self, message):
        from psigraph.errors import elide
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {elide(message)}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every built-in and plug-in subcommand.

    With ``command`` naming a plug-in, only that plug-in is imported (its siblings may pull in
    multiprocessing, aiohttp or Qt that a ``say`` does not need); anything else builds them all,
    so help and "invalid choice" messages list every command.
    """
    from psigraph import __version__
    parser = _Parser(prog="psigraph", description="psigraph: node-graph dataflow for speech "
                                     "and a talking face. Run 'psigraph COMMAND -h' for help on a command.")
    parser.add_argument("--version", action="version", version=f"psigraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in BUILTIN:
        register(sub)
    plugins = command_modules()
    if any(name == command for name, _ in plugins):
        plugins = [(name, mod) for name, mod in plugins if name == command]
    for name, modname in plugins:
        _register_module(sub, name, modname)
    return parser


def _command_word(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def command_modules() -> list[tuple[str, str]]:
    """(command name, module) pairs declared in the ``psigraph.commands`` entry-point group."""
    from importlib.metadata import entry_points
    found = sorted({(ep.name, ep.value) for ep in entry_points(group=COMMAND_GROUP)})
    if not any(name == "say" for name, _ in found):     # running from a source tree that is not installed
        found += [("say", "psigraph.runtime.say"), ("live", "psigraph.runtime.live")]
    return found


def _register_module(sub, name: str, modname: str) -> None:
    if name in sub.choices:
        return
    try:
        mod = importlib.import_module(modname)
        register = mod.register
    except Exception as e:  # noqa: BLE001 - a broken plug-in must not break the other commands
        _broken(sub, name, modname, e)
        return
    register(sub)


def _broken(sub, name: str, modname: str, exc: Exception) -> None:
    def run(args):
        _err(f"error: 'psigraph {name}' is unavailable: {modname} failed to import: {type(exc).__name__}: {exc}")
        return 1
    p = sub.add_parser(name, help=f"(unavailable: {type(exc).__name__})")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(run=run)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``psigraph`` console script; returns the exit code."""
    from psigraph.errors import GraphFileError, PsigraphError, elide
    debug = os.environ.get("PSIGRAPH_DEBUG", "") not in ("", "0")
    parser = build_parser(_command_word(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:           # argparse: --help (0) or a usage error (2), message already printed
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else 2
    if not callable(getattr(args, "run", None)):
        parser.print_usage(sys.stderr)
        _err("psigraph: error: a command is required (validate, run, nodes, schema, ...)")
        return 2
    from psigraph.kernels import aot
    aot.AUTO_BUILD = True             # a missing ahead-of-time kernel build starts in the background
    try:
        code = int(args.run(args) or 0)
        if argv is None:              # the console script is about to exit: spare the collector's
            import gc                 # walk over everything loaded (0.15-0.25 s at exit after say)
            gc.freeze()
        return code
    except UsageError as e:
        if debug:
            raise
        _err(elide(f"psigraph {args.command}: error: {e}"))
        return 2
    except GraphFileError as e:
        if debug:
            raise
        for issue in e.issues:
            _err(issue.format())
        return 1
    except PsigraphError as e:
        if debug:
            raise
        _err(e.line())
        return 1
    except BrokenPipeError:          # e.g. `psigraph nodes | head`
        sys.stdout = open(os.devnull, "w")
        return 0
    except OSError as e:
        if debug:
            raise
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        _err(elide(f"error: {where}{e.strerror or e}"))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 - a bug: one line unless debugging
        if debug:
            raise
        _err(f"internal error: {type(e).__name__}: {e} (this is a bug in psigraph or a node pack; "
             "rerun with PSIGRAPH_DEBUG=1 for the traceback)")
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

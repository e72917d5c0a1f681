"""The import layers of DESIGN §1: psigraph ← nodes/<family> ← runtime ← memory ← editor, server, batch.

No node family imports another (shared names live in psigraph.chain), and the core
imports no runtime, memory, editor or node code. Checked on the source (every import
statement, also the ones inside functions), not on what one run happens to import.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = {"psigraph": 0, "nodes": 1, "runtime": 2, "memory": 3, "editor": 4, "server": 4, "batch": 4}
PACKAGE = {"psigraph.nodes": "nodes", "psigraph.runtime": "runtime", "psigraph.memory": "memory",
           "psigraph.editor": "editor", "psigraph.server": "server", "psigraph.batch": "batch"}


def _imports(path: Path, module: str):
    """Absolute names of every module imported by a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name, node.lineno
            for a in node.names:                       # `from psigraph import chain` imports a module
                yield f"{name}.{a.name}", node.lineno


def _where(name: str):
    """(layer folder, node family or None) of a psigraph module name, or None if not ours."""
    if not name.startswith("psigraph"):
        return None
    for prefix, folder in PACKAGE.items():
        if name == prefix or name.startswith(prefix + "."):
            rest = name[len(prefix) + 1:].split(".")
            return folder, (rest[0] if folder == "nodes" and rest[0] else None)
    return "psigraph", None


def _modules():
    for folder in LAYER:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            prefix = "psigraph" if folder == "psigraph" else f"psigraph.{folder}"
            yield path, ".".join([prefix] + parts), folder, (parts[0] if folder == "nodes" and parts else None)


def _violations():
    bad = {}
    for path, module, folder, family in _modules():
        for name, line in _imports(path, module):
            target = _where(name)
            if target is None:
                continue
            t_folder, t_family = target
            where = f"{path.relative_to(ROOT)}:{line}"
            if LAYER[t_folder] > LAYER[folder]:
                bad.setdefault((where, t_folder), f"{where} imports {name} (a lower layer imports a higher one)")
            elif folder == "nodes" and t_folder == "nodes" and t_family and family and t_family != family:
                bad.setdefault((where, t_family), f"{where} imports {name} (node family {family!r} imports "
                               f"family {t_family!r})")
    return sorted(bad.values())


def test_import_layers_hold():
    assert _violations() == []


def test_the_check_catches_a_cross_family_import(tmp_path, monkeypatch):
    fam = tmp_path / "nodes" / "fake"
    fam.mkdir(parents=True)
    (fam / "node.py").write_text("from psigraph.nodes.speech import voice\nfrom ..psi import kernels\n")
    core = tmp_path / "psigraph"
    core.mkdir()
    (core / "x.py").write_text("def f():\n    from psigraph.runtime import Session\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    got = _violations()
    assert len(got) == 3 and sum("family 'fake' imports family" in g for g in got) == 2
    assert any("psigraph/x.py:2" in g and "lower layer" in g for g in got)


@pytest.mark.parametrize("family", sorted(p.name for p in (ROOT / "nodes").iterdir()
                                          if (p / "__init__.py").exists()))
def test_every_family_is_scanned(family):
    assert any(fam == family for _, _, _, fam in _modules())

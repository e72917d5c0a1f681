"""Package mapping: top-level folders nodes/, runtime/, memory/, editor/, server/, batch/ install as psigraph.<name>."""
import os

from setuptools import setup

MAPPED = {"psigraph": "psigraph", "psigraph.nodes": "nodes", "psigraph.runtime": "runtime",
          "psigraph.memory": "memory", "psigraph.editor": "editor", "psigraph.server": "server",
          "psigraph.batch": "batch", "psigraph.graphs": "graphs"}


def packages():
    found = []
    for pkg, folder in MAPPED.items():
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            if "__init__.py" in files:
                rel = os.path.relpath(root, folder)
                found.append(pkg if rel == "." else pkg + "." + rel.replace(os.sep, "."))
    return found


setup(packages=packages(), package_dir=MAPPED,
      package_data={"": [f"{d}{pat}" for d in ("", "*/", "*/*/")
                         for pat in ("*.yaml", "*.json", "*.npz", "*.png", "*.txt", "*.obj", "LICENSE*",
                                     "*.html", "*.js", "*.css")]},
      include_package_data=True)

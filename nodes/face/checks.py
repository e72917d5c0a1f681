"""Checks shared by the face node types: optional dependencies, blendshape inputs, size limits."""
from __future__ import annotations

import importlib.util

from psigraph.errors import Issue

from .arkit import BLENDSHAPE_LABELS

#: the render node's documented image size limits (pixels)
MIN_SIZE, MAX_SIZE = 16, 4096
#: most render processes of one face_render (nodes/face/render_pool.MAX_WORKERS)
MAX_RENDER_WORKERS = 8


def _missing(module: str, what: str) -> list:
    """An Issue when an optional dependency is not installed."""
    if importlib.util.find_spec(module) is not None:
        return []
    return [Issue("", f"{what} needs the Python package {module!r}, which is not installed; "
                      "pip install 'psigraph[export]'", code="dependency.missing")]


def _blendshape_issues(inputs: dict, port: str = "blendshapes") -> list:
    """Issues when a blendshapes input carries none of the ARKit weights (e.g. a plain sine)."""
    spec = inputs.get(port)
    if spec is None:
        return []
    if spec.labels:
        if not set(spec.labels) & set(BLENDSHAPE_LABELS):
            return [Issue(f"inputs.{port}", f"the input has none of the ARKit blendshape channels "
                                            f"(got {', '.join(map(str, spec.labels[:4]))}…); connect face_animator.blendshapes",
                          code="input.missing_channel")]
        return []
    if spec.channels != len(BLENDSHAPE_LABELS):
        return [Issue(f"inputs.{port}", f"the input has {spec.channels} unlabelled channel(s), not the "
                                        f"{len(BLENDSHAPE_LABELS)} of face_animator.blendshapes; connect face_animator.blendshapes",
                      code="input.missing_channel")]
    return []

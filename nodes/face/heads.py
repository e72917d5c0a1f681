"""Head models by name: ``load_head("ict" | "procedural", persona=...)`` → :class:`.head.HeadModel`.

The one place that decides which mesh a renderer, viewer or editor shows. ``name=None`` picks
the default head (:data:`DEFAULT_HEAD`, the scanned ICT-FaceKit head); ``persona`` selects that
persona's face (identity, skin tone, iris colour, hair; see :mod:`.face_style`). The procedural
head (``"procedural"``) is the light option: generated in code, ~12k vertices, one look.
"""
from __future__ import annotations

from psigraph.errors import PsigraphError

from .head import HeadModel, build_head

__all__ = ["DEFAULT_HEAD", "HEADS", "HeadError", "load_head"]

#: Names accepted by :func:`load_head`.
HEADS: tuple[str, ...] = ("ict", "procedural")
#: The head used when none is named.
DEFAULT_HEAD = "ict"
#: Mesh detail of the procedural head (0.55 ≈ 10k skin vertices, what the renderer always used).
PROCEDURAL_DETAIL = 0.55


class HeadError(PsigraphError):
    """An unknown head name, or a head asset that cannot be read."""

    code = "face.head"


def load_head(name: str | None = None, persona: str | None = None) -> HeadModel:
    """The head mesh ``name`` (default :data:`DEFAULT_HEAD`), dressed for ``persona`` if given.

    Cached: repeated calls return the same model (treat it as read-only).
    """
    key = (name or DEFAULT_HEAD).strip().lower()
    if key not in HEADS:
        raise HeadError(f"unknown head {name!r}", where="head", hint=f"use one of {', '.join(HEADS)}")
    if key == "procedural":
        return build_head(PROCEDURAL_DETAIL)
    from .face_style import face_style
    from .ict import build_ict_head
    return build_ict_head(face_style(persona))

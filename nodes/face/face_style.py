"""How a persona's face looks: identity (face shape) weights, skin tone, iris colour and hair.

A persona YAML (``nodes/speech/personas/<name>.yaml``) may carry a ``face:`` section::

    face:
      identity: [0.4, -0.6, 0, 0.3]     # weights of the first ICT identity modes (about ±2)
      skin: [0.86, 0.66, 0.56]          # sRGB 0..1
      iris: [0.33, 0.45, 0.30]
      hair: short                       # short | long | bald
      hair_color: [0.22, 0.15, 0.10]
      shirt: [0.30, 0.35, 0.42]         # the crew-neck shirt on the shoulders

Until the speech persona loader accepts that section, the shipped personas' faces live in
``assets/faces.yaml`` (same keys, one mapping per persona name); a ``face:`` section in the
persona file wins. Unknown keys or out-of-range values raise :class:`FaceStyleError`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

from psigraph.errors import PsigraphError

FACES_FILE = Path(__file__).resolve().parent / "assets" / "faces.yaml"
PERSONA_DIR = Path(__file__).resolve().parent.parent / "speech" / "personas"
HAIR_STYLES = ("short", "long", "bald")


class FaceStyleError(PsigraphError):
    """A persona's face section is unreadable or has an invalid field."""

    code = "face.style"


Rgb = tuple[float, float, float]


@dataclass(frozen=True)
class FaceStyle:
    """Identity weights, colours (sRGB 0..1) and hair style of one face."""

    identity: tuple = ()
    skin: Rgb = (0.84, 0.65, 0.56)
    lips: Rgb = (0.72, 0.39, 0.37)
    iris: Rgb = (0.36, 0.46, 0.34)
    hair: str = "short"
    hair_rgb: Rgb = (0.20, 0.14, 0.10)
    cheek_rgb: Rgb = (0.90, 0.55, 0.50)
    shirt_rgb: Rgb = (0.30, 0.35, 0.42)

    @property
    def brow_rgb(self) -> Rgb:
        return tuple(0.8 * c for c in self.hair_rgb)


_KEYS = {"identity": "identity", "skin": "skin", "lips": "lips", "iris": "iris", "hair": "hair",
         "hair_color": "hair_rgb", "cheeks": "cheek_rgb", "shirt": "shirt_rgb"}


def _rgb(val, key, where) -> Rgb:
    if (not isinstance(val, (list, tuple)) or len(val) != 3
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in val)):
        raise FaceStyleError(f"face.{key} must be 3 numbers in 0..1 (sRGB)", where=where, got=repr(val))
    return tuple(float(c) for c in val)


def style_from_dict(doc: dict, where: str = "face") -> FaceStyle:
    """A :class:`FaceStyle` from a ``face:`` mapping (keys as in the module docstring)."""
    if not isinstance(doc, dict):
        raise FaceStyleError("the face section must be a mapping", where=where, got=type(doc).__name__)
    kw = {}
    for key, val in doc.items():
        if key not in _KEYS:
            raise FaceStyleError(f"unknown face field {key!r}", where=where, hint=f"known fields: {', '.join(_KEYS)}")
        if key == "identity":
            if (not isinstance(val, (list, tuple)) or len(val) > 16
                    or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and -3 <= c <= 3 for c in val)):
                raise FaceStyleError("face.identity must be up to 16 numbers in -3..3", where=where, got=repr(val))
            kw["identity"] = tuple(float(c) for c in val)
        elif key == "hair":
            if val not in HAIR_STYLES:
                raise FaceStyleError(f"face.hair must be one of {', '.join(HAIR_STYLES)}", where=where, got=repr(val))
            kw["hair"] = val
        else:
            kw[_KEYS[key]] = _rgb(val, key, where)
    return FaceStyle(**kw)


def _yaml(path: Path):
    import yaml
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaceStyleError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except yaml.YAMLError as exc:
        raise FaceStyleError(f"invalid YAML: {str(exc).splitlines()[0]}", where=str(path)) from None


@functools.lru_cache(maxsize=32)
def face_style(persona: str | None = None) -> FaceStyle:
    """The face of ``persona`` (a shipped name or a YAML path); ``None`` → the default persona's face."""
    name = persona or "default"
    path = Path(name).expanduser() if name.endswith((".yaml", ".yml")) or "/" in name else PERSONA_DIR / f"{name}.yaml"
    if path.is_file():
        doc = _yaml(path)
        if isinstance(doc, dict) and "face" in doc:
            return style_from_dict(doc["face"], f"{path}: face")
    faces = _yaml(FACES_FILE) or {}
    key = path.stem if path.is_file() else name
    if key in faces:
        return style_from_dict(faces[key], f"{FACES_FILE}: {key}")
    if not path.is_file():
        raise FaceStyleError(f"unknown persona {name!r}", where="persona",
                             hint=f"use one of {', '.join(sorted(faces))} or a path to a persona .yaml file")
    return FaceStyle()


def style_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(FaceStyle))

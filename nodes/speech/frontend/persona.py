"""Voice personas: YAML files with base pitch, pitch range, rate, voice quality and resting face.

A persona is found by name in ``nodes/speech/personas/<name>.yaml`` or by a path to a YAML file.
Unknown keys and out-of-range values raise :class:`PersonaError` naming the file, the field and
the accepted range. Shipped personas:

- ``default`` ("Tori", 150 Hz): a neutral, slightly low voice. A formant synthesizer is most
  intelligible at a low-to-middle f0, where harmonics sample the formant envelope densely
  (at 200+ Hz F1 is resolved by only 2-3 harmonics and vowels blur), so the default sits
  between typical male (120 Hz) and female (210 Hz) speakers.
- ``bright`` (205 Hz): a female-range voice, wider range, slightly faster.
- ``low`` (115 Hz): a male-range voice with the clearest formants.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from psigraph.errors import PsigraphError

__all__ = ["Persona", "PersonaError", "load_persona", "list_personas", "PERSONA_DIR"]

PERSONA_DIR = Path(__file__).resolve().parent.parent / "personas"


class PersonaError(PsigraphError):
    """A persona file is missing, unreadable or has an invalid field."""


@dataclass(frozen=True)
class Persona:
    """Voice persona. Pitch in Hz and semitones; voice-quality values are fractions (0..1)."""

    name: str = "Tori"
    base_f0: float = 150.0          # Hz, the speaker's mean speaking pitch
    f0_range: float = 7.0           # semitones, span of accents and final falls
    rate: float = 1.0               # speaking-rate factor (2 = twice as fast)
    breathiness: float = 0.1        # aspiration mixed into voicing, 0..1
    jitter: float = 0.005           # cycle-to-cycle period perturbation (fraction)
    shimmer: float = 0.03           # cycle-to-cycle amplitude perturbation (fraction)
    vibrato_hz: float = 5.0         # slow f0 modulation rate
    vibrato_cents: float = 0.0      # its depth (0 = none)
    formant_scale: float = 1.0      # vocal-tract length factor on formants (1.15 ≈ shorter tract)
    smile: float = 0.0              # resting expression, -1..1
    brow: float = 0.0               # resting brow raise, -1..1
    description: str = ""
    source: str = ""                # file it came from

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


# yaml key → (field, low, high); nested keys are "group.key"
_SCHEMA = {
    "name": ("name", None, None), "description": ("description", None, None),
    "base_f0": ("base_f0", 50.0, 400.0), "f0_range": ("f0_range", 0.0, 24.0),
    "rate": ("rate", 0.25, 4.0), "breathiness": ("breathiness", 0.0, 1.0),
    "jitter": ("jitter", 0.0, 0.1), "shimmer": ("shimmer", 0.0, 0.5),
    "vibrato.rate_hz": ("vibrato_hz", 0.0, 15.0), "vibrato.depth_cents": ("vibrato_cents", 0.0, 200.0),
    "formant_scale": ("formant_scale", 0.7, 1.4),
    "expression.smile": ("smile", -1.0, 1.0), "expression.brow": ("brow", -1.0, 1.0),
}


def list_personas() -> list[str]:
    """Names of the shipped personas."""
    return sorted(p.stem for p in PERSONA_DIR.glob("*.yaml"))


def _flatten(doc: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _from_doc(doc, where: str) -> Persona:
    if not isinstance(doc, dict):
        raise PersonaError("persona file must be a YAML mapping", where=where, got=type(doc).__name__,
                           hint="see nodes/speech/personas/default.yaml")
    values = {}
    for key, val in _flatten(doc).items():
        if key.startswith("face."):                 # how the persona looks: the face family reads it
            continue
        if key not in _SCHEMA:
            raise PersonaError(f"unknown persona field {key!r}", where=where,
                               hint=f"known fields: {', '.join(_SCHEMA)}")
        fname, lo, hi = _SCHEMA[key]
        if lo is None:
            values[fname] = str(val)
            continue
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise PersonaError(f"persona field {key!r} must be a number", where=where, got=repr(val))
        if not lo <= float(val) <= hi:
            raise PersonaError(f"persona field {key!r} out of range", where=where,
                               expected=f"{lo}..{hi}", got=str(val))
        values[fname] = float(val)
    return Persona(source=where, **values)


@lru_cache(maxsize=64)
def _load_path(path: str) -> Persona:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaError(f"cannot read persona file: {exc.strerror}", where=str(p)) from None
    except yaml.YAMLError as exc:
        raise PersonaError(f"invalid YAML: {str(exc).splitlines()[0]}", where=str(p)) from None
    return _from_doc(doc, str(p))


def load_persona(spec: "str | Path | Persona | dict | None" = "default") -> Persona:
    """A :class:`Persona` from a shipped name, a path to a YAML file, a mapping, or a Persona."""
    if spec is None:
        spec = "default"
    if isinstance(spec, Persona):
        return spec
    if isinstance(spec, dict):
        return _from_doc(spec, "<persona>")
    s = str(spec)
    if "\x00" in s or len(s.encode()) > 1024:
        raise PersonaError("unreadable persona name", where="persona", got=repr(s[:40]))
    if s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        return _load_path(str(Path(s).expanduser().resolve()))
    candidate = PERSONA_DIR / f"{s}.yaml"
    try:
        found = candidate.is_file()
    except OSError:                  # e.g. a name too long for the file system
        found = False
    if not found:
        raise PersonaError(f"unknown persona {s!r}", where="persona",
                           hint=f"use one of {', '.join(list_personas())} or a path to a .yaml file")
    return _load_path(str(candidate))

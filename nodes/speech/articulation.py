"""UtterancePlan → gestural score events (docs/SPEECH_CHAIN.md §1).

Each phone becomes a few timed ``target`` gestures on the tract channels:

* vowels pull the formants to their targets (critically damped, τ ≈ 14 ms, so
  neighbouring phones coarticulate); diphthongs add an offset target mid-way;
* onset consonants take their F2/F3 from locus equations on the *following*
  vowel (codas on the preceding one), so transitions point to the place;
* stops: closure (AV off or a voice bar) → burst (AB) at the release →
  aspiration (AH) for the VOT → voicing; fricatives set AF with FF/FB;
  nasals AN with a nasal murmur (zero placed by place of articulation; its resonances step in
  at the closure and out at the release); /h/ aspirates through
  the next vowel's formants, widened, plus weak broadband turbulence;
* f0 is sent as ``ramp`` targets through the plan's points, so the tract
  reproduces the piecewise-linear contour exactly at every control tick
  (shifted one tick early to cancel the one-tick read latency of §3).

Target times are quantised to control ticks (``period`` master samples).
"""
from __future__ import annotations

from psigraph.ports import Event

from . import phonetics as P

__all__ = ["score_events", "MASTER_RATE", "CONTROL_PERIOD"]

MASTER_RATE = 24000
CONTROL_PERIOD = 120

TAU_VOWEL = 14.0        # ms, formant approach into a vowel
TAU_CONS = 9.0          # ms, formant approach into a consonant
TAU_SRC = 4.0           # ms, source amplitudes
VOT_ASP = 0.055         # s, stressed voiceless-stop aspiration
VOT_UNSTR = 0.03
VOT_VOICED = 0.008
# /h/: the open glottis damps the low formants (B1-B3 widen; Klatt uses B1 >= 200 Hz for
# voiceless sounds) and adds broadband turbulence, so /h/ is a weak, bright noise (centroid
# ~3 kHz, as in natural and eSpeak /h/), not a whispered F2 peak at 1.4-2.4 kHz
H_BANDWIDTHS = (300.0, 200.0, 300.0)
H_ASP = 0.5
H_TURBULENCE = (3500.0, 4000.0, 0.12)   # FF, FB (Hz), AF
R_COLOUR = 0.4          # share of the vowel before a post-vocalic /r/ that is r-coloured
R_COLOUR_TAU = 20.0     # ms
AFFRICATE_CLOSURE = 0.55   # share of an affricate that is closure
AFFRICATE_BURST = 1.0      # the release is a stop release: a transient as strong as /t/'s
AFFRICATE_VOICE_BAR = 0.25  # /dʒ/ closure voicing: the voice bar of /b d g/ (the /dʒ/-/tʃ/ cue after a vowel)
SIBILANT_RISE_TAU = 7.0    # ms: /s ʃ/ frication rises over ~40 ms (10-90 %), natural ~45 ms
VOICE_BAR_B23 = 1000.0     # Hz, B2/B3 during a voiced closure
# closure voicing of /b d g/ (the voice bar) radiates only through the walls of the closed tract:
# ~25 dB below the vowel (eSpeak NG ~28 dB). At 0.25 it was 17 dB below, loud enough to carry the
# closure's F2/F3, and Whisper heard "dig" as "big"
STOP_VOICE_BAR = 0.1
NASAL_AV = 0.8          # voicing amplitude of a nasal murmur
ANTICIPATE = 0.035      # s, formants head for a post-vocalic consonant this early


def _emotion_channels(plan) -> dict:
    v, a, d = plan.emotion
    loud_db = float(plan.modifiers.get("loudness_db", 0.0))
    return {"valence": v, "arousal": a, "dominance": d, "loud": 0.7 * 10.0 ** (loud_db / 20.0)}


def _nearest_vowel(phones, i, step):
    """The closest vowel after (step=+1) or before (step=-1) phone i, not crossing a pause."""
    j = i + step
    while 0 <= j < len(phones):
        p = phones[j]
        if p.is_pause:
            return None
        if P.is_vowel(p.ph):
            return p
        j += step
    return None


def _into_sonorant(phones, i) -> bool:
    """Phone i is followed, inside the phrase, by a liquid or glide onset and then a vowel."""
    if i + 2 >= len(phones):
        return False
    a, b = phones[i + 1], phones[i + 2]
    return (not a.is_pause and P.kind_of(a.ph) in ("liquid", "glide") and not b.is_pause
            and P.is_vowel(b.ph))


def score_events(plan, t0: int = 0, master_rate: int = MASTER_RATE, period: int = CONTROL_PERIOD) -> list:
    """The whole utterance's score as a time-sorted list of :class:`Event`."""
    fs = master_rate
    scale = float(getattr(plan.persona, "formant_scale", 1.0))
    evs: list[tuple[int, int, Event]] = []
    seq = [0]

    def at(sec: float) -> int:
        """Master index of the control tick nearest ``sec``."""
        return t0 + int(round(sec * fs / period)) * period

    def add(t: int, kind: str, payload: dict):
        seq[0] += 1
        evs.append((max(t, t0), seq[0], Event(max(t, t0), kind, payload)))

    def target(sec: float, values: dict, tau: float, mode: str = "smooth", shift: int = 0):
        vals = {}
        for k, v in values.items():
            if k in ("F1", "F2", "F3", "F4", "F5"):
                v = v * scale
            vals[k] = float(v)
        add(at(sec) + shift, "target", {"values": vals, "tau_ms": float(tau), "mode": mode})

    dur_samples = int(round(plan.duration * fs))
    emo = _emotion_channels(plan)
    add(t0, "utterance", {"text": plan.text, "emotion": list(plan.emotion),
                          "persona": getattr(plan.persona, "name", "default"), "duration": dur_samples})
    add(t0, "emotion", {"vad": list(plan.emotion)})
    first_v = next((p for p in plan.phones if P.is_vowel(p.ph)), None)
    start = P.vowel_targets(first_v.ph) if first_v is not None else {}
    target(0.0, {**start, "AV": 0.0, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0, **emo}, 0.0, "step")

    # ---- f0: ramps through the plan's points, one tick early
    pts = sorted(plan.f0)
    if pts:
        ticks = [int(round(t * fs / period)) for t, _ in pts]
        target(0.0, {"f0": pts[0][1]}, 0.0, "step")
        for i in range(len(pts) - 1):
            k0, k1 = ticks[i], ticks[i + 1]
            if k1 <= k0:
                continue
            add(t0 + max(k0 - 1, 0) * period, "target",
                {"values": {"f0": float(pts[i + 1][1])}, "tau_ms": (k1 - k0) * 1000.0 * period / fs,
                 "mode": "ramp"})

    # ---- labels: phones and syllables
    for p in plan.phones:
        ph = "sil" if p.is_pause else p.arpabet
        add(t0 + int(round(p.start * fs)), "phone",
            {"ph": ph, "dur": int(round(p.dur * fs)), "word": p.word, "syl": p.syl,
             "viseme": P.VISEME_OF.get("sil" if p.is_pause else p.ph, "sil")})
    for s in plan.syllables:
        add(t0 + int(round(s.start * fs)), "syllable", {"dur": int(round(s.dur * fs)), "stress": s.stress})

    # ---- articulatory gestures
    phones = plan.phones
    voice_delay = 0.0          # voicing onset delay carried into the next vowel (VOT)
    for i, p in enumerate(phones):
        s, e = p.start, p.start + p.dur
        vis = {"viseme": float(P.viseme_index("sil" if p.is_pause else p.ph))}
        target(s, vis, 0.0, "step")
        if p.is_pause:
            target(s, {"AV": 0.0, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0}, 8.0)
            target(s, {"jaw": 0.05, "lip_ap": 0.1, "lip_round": 0.0, "lip_spread": 0.0,
                       "tongue_tip": 0.0}, 40.0)
            voice_delay = 0.0
            continue
        kind = P.kind_of(p.ph)
        # after silence the articulators are already in place: formants jump, they do not glide
        from_silence = i == 0 or phones[i - 1].is_pause
        nxt = _nearest_vowel(phones, i, +1)
        prv = _nearest_vowel(phones, i, -1)
        nxt_is_vowel = i + 1 < len(phones) and P.is_vowel(phones[i + 1].ph)
        if kind == "vowel":
            stress = max(p.stress, 0)
            av = 1.0 if stress > 0 else 0.85
            tg = P.vowel_targets(p.ph, "on", stress)
            # out of a glide the formants move slowly (/w j/ ~80 ms); out of a liquid (/l r/) the
            # vowel approaches its target at the rate it does after a stop (the /l/ tip releases
            # like a stop's; applied to /r/ too, which is slower in natural speech: see the report)
            after_glide = i > 0 and P.kind_of(phones[i - 1].ph) == "glide"
            if from_silence:
                target(s, tg, 0.0, "step")
            else:
                target(s, tg, 22.0 if after_glide else TAU_VOWEL)
            if voice_delay > 0.0:
                # aspiration (AH) until voicing starts, then voice
                target(s + voice_delay, {"AV": av, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0}, TAU_SRC)
            else:
                target(s, {"AV": av, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0}, TAU_SRC)
            if P.VOWELS[p.ph]["off"] is not None:
                off = P.vowel_targets(p.ph, "off", stress)
                target(s + 0.4 * p.dur, {k: off[k] for k in ("F1", "F2", "F3", "lip_round", "lip_spread", "jaw")},
                       max(0.18 * p.dur * 1000.0, TAU_VOWEL))
            voice_delay = 0.0
            continue

        c = P.CONSONANTS[p.ph]
        # the vowel that colours this consonant's locus: following for onsets, else preceding
        ref = nxt if (nxt is not None and (nxt_is_vowel or prv is None or not p.word_final)) else prv
        f2v = P.vowel_targets(ref.ph)["F2"] if ref is not None else 1500.0
        tg = P.consonant_targets(p.ph, f2v)
        voiced = p.ph in P.VOICED
        carried, voice_delay = voice_delay, 0.0
        if kind == "aspirate":                         # /h/: a voiceless copy of the next vowel
            if nxt is not None:
                vt = P.vowel_targets(nxt.ph)
                b1, b2, b3 = H_BANDWIDTHS
                target(s, {"F1": vt["F1"], "F2": vt["F2"], "F3": vt["F3"], "B1": b1, "B2": b2, "B3": b3},
                       0.0 if from_silence else TAU_CONS, "step" if from_silence else "smooth")
            ff, fb, af = H_TURBULENCE
            target(s, {"AV": 0.0, "AH": H_ASP, "AF": af, "AB": 0.0, "AN": 0.0, "FF": ff, "FB": fb}, TAU_SRC)
            target(s, {k: tg[k] for k in ("jaw", "lip_ap", "lip_round", "lip_spread", "tongue_tip")}, 20.0)
            continue
        if from_silence:
            target(s, {k: v for k, v in tg.items() if k[0] in "FB"}, 0.0, "step")
        after_vowel = i > 0 and P.is_vowel(phones[i - 1].ph)
        if after_vowel and kind in ("stop", "fric", "affr", "nasal"):
            # anticipatory coarticulation: the VC transition happens inside the vowel
            pv = phones[i - 1]
            lead = min(ANTICIPATE, 0.5 * pv.dur)
            vc = P.consonant_targets(p.ph, f2v, transition=True) if kind == "nasal" else tg
            target(s - lead, {k: v for k, v in vc.items() if k[0] in "FB"}, TAU_CONS)
        elif after_vowel and p.ph == "R" and (p.word_final or not nxt_is_vowel):
            # post-vocalic /r/ colours the vowel: F3 falls through its second half ([ɔɚ]), so the
            # low F3 — the /r/ cue — lasts beyond the short /r/ segment itself
            pv = phones[i - 1]
            target(s - R_COLOUR * pv.dur, {"F3": tg["F3"]}, R_COLOUR_TAU)
        if kind == "nasal":
            # the murmur starts and ends abruptly: its resonances step in at the oral closure
            target(s, {k: v for k, v in tg.items() if k[0] in "FB"}, 0.0, "step")
        target(s, tg, TAU_CONS)
        if kind == "stop":
            fb = c["burst"]
            target(s, {"AV": STOP_VOICE_BAR if voiced else 0.0, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0,
                       "FF": fb[0] if P.PLACE[p.ph] != "vel" else max(tg["F2"] * 1.05, 1400.0),
                       "FB": fb[1]}, TAU_SRC)
            if voiced:
                target(s, {"F1": 200.0, "B1": 90.0}, TAU_CONS)
            add(at(e), "target", {"values": {"AB": float(fb[2]), "AV": 0.0}, "tau_ms": 0.0, "mode": "step"})
            burst_tau = {"lab": 3.0, "alv": 5.0, "vel": 12.0}[P.PLACE[p.ph]]
            add(at(e) + period, "target", {"values": {"AB": 0.0}, "tau_ms": burst_tau, "mode": "smooth"})
            if not voiced:
                # before a vowel, or a sonorant onset (/pl kr tw kj/...), the aspiration runs on for the
                # full VOT; through the sonorant it is voiceless and shaped by its formants
                released = nxt_is_vowel or _into_sonorant(phones, i)
                vot = (VOT_ASP if (nxt is not None and nxt.stress > 0) else VOT_UNSTR) if released else 0.02
                add(at(e) + period, "target", {"values": {"AH": 0.6 * c["asp"]}, "tau_ms": 3.0, "mode": "smooth"})
                voice_delay = vot if released else 0.0
                if not released:
                    target(e + vot, {"AH": 0.0}, 5.0)
            else:
                voice_delay = VOT_VOICED if nxt_is_vowel else 0.0
        elif kind == "affr":
            # a stop closure (silent, or a voice bar for /dʒ/) for AFFRICATE_CLOSURE of the phone,
            # then a release burst and frication with a fast rise (~10 ms, against ~40 ms for /ʃ/):
            # the closure and the abrupt onset are what tell "chip" from "ship"
            fr = c["fric"]
            rel = s + AFFRICATE_CLOSURE * p.dur
            target(s, {"AV": AFFRICATE_VOICE_BAR if voiced else 0.0, "AH": 0.0, "AF": 0.0, "AB": 0.0,
                       "AN": 0.0, "FF": fr[0], "FB": fr[1]}, 2.0)
            if voiced:
                # the voice bar radiates through the walls of the closed tract: low-passed
                target(s, {"F1": 200.0, "B1": 90.0, "B2": VOICE_BAR_B23, "B3": VOICE_BAR_B23}, TAU_CONS)
            add(at(rel), "target", {"values": {"AB": AFFRICATE_BURST, "AF": 0.3 * fr[2]}, "tau_ms": 0.0,
                                    "mode": "step"})
            add(at(rel) + period, "target", {"values": {"AB": 0.0}, "tau_ms": 4.0, "mode": "smooth"})
            add(at(rel) + period, "target", {"values": {"AF": fr[2], "AV": 0.35 if voiced else 0.0},
                                             "tau_ms": 3.0, "mode": "smooth"})
        elif kind == "fric":
            fr = c["fric"]
            target(s, {"FF": fr[0], "FB": fr[1]}, 3.0)
            rise = SIBILANT_RISE_TAU if p.ph in ("S", "Z", "SH", "ZH") else TAU_SRC + 2.0
            target(s, {"AV": 0.45 if voiced else 0.0, "AH": 0.0, "AB": 0.0, "AN": 0.0}, TAU_SRC + 2.0)
            target(s, {"AF": fr[2]}, rise)
            target(s, {"B1": 200.0 if not voiced else 120.0}, TAU_CONS)
        elif kind == "nasal":
            # murmur 2 dB below full voicing (it was 9 dB): the oral closure already damps it
            # through the formants; AN places the anti-resonance by place of articulation
            target(s, {"AV": NASAL_AV, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": P.nasal_coupling(p.ph)},
                   TAU_SRC + 2.0)
            if nxt_is_vowel:
                # the release: the oral tract opens at the locus of the next vowel, which moves on from there
                f2n = P.vowel_targets(phones[i + 1].ph)["F2"]
                rel = P.consonant_targets(p.ph, f2n, transition=True)
                target(e, {k: v for k, v in rel.items() if k[0] in "FB"}, 0.0, "step")
        else:                                           # liquids and glides
            tau = 18.0 if kind == "glide" else 12.0
            target(s, {k: tg[k] for k in ("F1", "F2", "F3", "B1", "B2", "B3")},
                   0.0 if from_silence else tau, "step" if from_silence else "smooth")
            av = 0.55 if p.ph in ("R", "W") else 0.65
            if carried > 0.0:
                # devoiced after an aspirated stop: aspiration through the sonorant's formants
                # (F1 damped by the open glottis), voicing once the VOT has elapsed
                voice_at = min(carried, 0.8 * p.dur)
                target(s, {"B1": 250.0}, TAU_CONS)
                target(s + voice_at, {"AV": av, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0,
                                      "B1": tg["B1"]}, TAU_SRC)
                voice_delay = max(carried - voice_at, 0.0)
            else:
                target(s, {"AV": av, "AH": 0.0, "AF": 0.0, "AB": 0.0, "AN": 0.0}, TAU_SRC + 4.0)

    end_t = t0 + dur_samples
    add(end_t, "end", {})
    evs.sort(key=lambda x: (x[0], x[1]))
    return [e for _, _, e in evs]

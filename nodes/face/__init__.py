"""Face family: ARKit blendshape animator, heads (the scanned ICT head, default; the procedural one),
off-screen renderer, landmarks, frame/video sinks. See docs/FACE.md.

Node types live in :mod:`psigraph.nodes.face.node` (the entry-point module).
vispy and av are imported lazily inside the functions that need them.
"""

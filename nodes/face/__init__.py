"""Face family: ARKit blendshape animator, procedural 3D head, off-screen renderer, frame/video sinks.

Node types live in :mod:`psigraph.nodes.face.node` (the entry-point module).
vispy and av are imported lazily inside the functions that need them.
"""

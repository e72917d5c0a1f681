"""koopman_monitor with generic defaults: validation means "will run", and an exact forecast through the runtime."""
import numpy as np
import pytest

import psigraph
from psigraph import registry
from psigraph.runtime import Session

for _m in ("basic", "psi", "koopman"):
    registry.import_pack(f"psigraph.nodes.{_m}.node")

GRAPH = """psigraph: 1
graph: {{name: kp, rates: {{audio: 24000, control: 200}}}}
nodes:
  src: {{type: sine, params: {{freq: 3.0, rate: control}}}}
  kp: {{type: koopman_monitor{params}}}
edges:
  - src.y -> kp.x
"""


def test_sine_to_koopman_with_default_params_validates_and_runs():
    g = psigraph.loads(GRAPH.format(params=""))
    assert psigraph.check(g) == []
    s = Session(g, block=480)
    pred, src = s.tap("kp.prediction"), s.tap("src.y")
    s.run(duration=2.0)
    P, x = np.asarray(pred), np.asarray(src)
    node = s.node("kp")
    assert node.params.channels == [] and node.out_specs["prediction"].channels == 1
    H = node.horizon
    late = slice(100, None)                                   # after the 250 ms warm-up
    assert np.sqrt(((P[:-H] - x[H:])[late] ** 2).mean() / (x ** 2).mean()) < 1e-9   # a sine is exactly predictable
    s.close()


def test_unknown_channels_are_reported_at_validation():
    text = GRAPH.format(params=", params: {channels: ['phase:syllable', 2]}")
    with pytest.raises(psigraph.GraphFileError) as err:
        psigraph.loads(text)
    issues = err.value.issues
    assert [(i.path, i.code) for i in issues] == [("nodes.kp.params.channels", "input.unknown_channel"),
                                                  ("nodes.kp.params.channels", "input.channel_out_of_range")]
    assert all(i.line == 5 for i in issues)                   # the line of the koopman node
    assert "no channel labels" in issues[0].message


def test_labelled_input_suggests_the_near_label():
    text = """psigraph: 1
graph: {name: kp}
nodes:
  core:
    type: psi_core
    params:
      bands: [{name: slow, count: 2, period_ms: 500.0}]
  kp: {type: koopman_monitor, params: {channels: ['phase:slow0', 'phase:slw1']}}
edges:
  - core.state -> kp.x
"""
    with pytest.raises(psigraph.GraphFileError) as err:
        psigraph.loads(text)
    (issue,) = err.value.issues
    assert issue.path == "nodes.kp.params.channels" and issue.code == "input.unknown_channel"
    assert "did you mean 'phase:slow1'?" in issue.message and "available: 'phase:slow0'" in issue.message


def test_default_channels_on_a_wide_state_are_rejected_with_a_hint():
    text = """psigraph: 1
graph: {name: kp}
nodes:
  core: {type: psi_core}
  kp: {type: koopman_monitor}
edges:
  - core.state -> kp.x
"""
    with pytest.raises(psigraph.GraphFileError) as err:
        psigraph.loads(text)
    (issue,) = err.value.issues
    assert issue.code == "param.embedding_too_large" and "channels: [" in issue.message

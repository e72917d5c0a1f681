"""The live part of the editor window: the runner, the scopes and the coupling, face and profile views.

The run machinery lives in optional modules (runner, scope, coupling, faceview,
profile); :class:`LiveViews` uses each one that is installed and says in the status
bar when one is missing. The runtime never calls the editor: views poll the runner.
"""
from __future__ import annotations

import importlib

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from psigraph.errors import PsigraphError
from psigraph.graph import SetProbe

DEFAULT_WINDOW_S = 2.0
SCOPE_HEIGHT = 300


def optional(module: str, name: str):
    """A class from an optional editor module (run machinery, scopes...), or None when absent."""
    try:
        return getattr(importlib.import_module(f"psigraph.editor.{module}"), name)
    except (ImportError, AttributeError):
        return None


def default_probes(graph) -> list[str]:
    """Scopes worth opening on a speech graph: the ψ order parameter and the audio."""
    refs = []
    for type_id, port in (("psi_core", "r"), ("voice", "audio")):
        nid = first_of(graph, type_id)
        if nid:
            refs.append(f"{nid}.{port}")
    return refs


def first_of(graph, type_id: str) -> str | None:
    """The first node of a type (any version)."""
    return next((n for n, s in graph.nodes.items() if s.type.split("@")[0] == type_id), None)


def saved_probes(graph) -> list[tuple[str, float]]:
    """(port, window_s) of the probes in the file's ``editor:`` section."""
    probes = graph.editor.get("probes") if isinstance(graph.editor.get("probes"), list) else []
    out = []
    for p in probes:
        if isinstance(p, dict) and isinstance(p.get("port"), str):
            try:
                out.append((p["port"], float(p.get("window_s", DEFAULT_WINDOW_S))))
            except (TypeError, ValueError):
                out.append((p["port"], DEFAULT_WINDOW_S))
    return out


class LiveViews(QObject):
    """Runner + scope docks + coupling/face/profile docks of one editor window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.runner = None
        self.scopes: dict[str, QDockWidget] = {}
        self.extra_docks: dict[str, QDockWidget] = {}
        self.missing: list[str] = []
        window.document.changed.connect(self.send_hot_param)

    def ensure_runner(self):
        """The window's Runner (created on first use), or None when psigraph.editor.runner is missing."""
        if self.runner is None:
            Runner = optional("runner", "Runner")
            if Runner is None:
                self.missing_view("runner")
                return None
            self.runner = Runner(self.window.document)
            self.runner.started.connect(self._started)
            self.runner.stopped.connect(self._stopped)
            self.runner.error.connect(self._failed)
        return self.runner

    # slots are methods of this QObject, so Qt drops the connections when the window goes away
    def _started(self) -> None:
        self.window.run_label.setText("running")

    def _stopped(self, why: str) -> None:
        self.window.run_label.setText(f"stopped {why}".strip())

    def _failed(self, text: str) -> None:
        self.window.report_error(text)

    def missing_view(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)
        self.window.statusBar().showMessage(f"psigraph.editor.{what} is not installed: that view is unavailable", 8000)

    def run(self, realtime: bool = True) -> bool:
        runner = self.ensure_runner()
        if runner is None:
            return False
        if runner.running:
            return True
        runner.realtime = realtime
        try:
            runner.start()
        except PsigraphError as e:
            self.window.report_error(e.line())
            return False
        self.window.run_label.setText("starting…")
        self.open_run_views()
        return True

    def send_hot_param(self, event: dict) -> None:
        """While the graph runs, a hot param changed in the Graph (inspector, undo, redo, a script)
        reaches the run at its next block; other changes wait for the next run."""
        runner = self.runner
        if event.get("command") != "SetParam" or runner is None or not runner.running:
            return
        nid, name = event["nid"], event["name"]
        spec = self.window.document.graph.nodes.get(nid)
        if spec is None or spec.placeholder:
            return
        cls = self.window.document.graph.node_class(nid)
        if name not in cls.HOT_PARAMS:
            self.window.statusBar().showMessage(f"{nid}.{name} is not hot: it takes effect at the next run", 6000)
            return
        value = spec.params.get(name, getattr(cls.Params.from_dict(spec.params), name))
        try:
            runner.set_param(nid, name, value)
        except PsigraphError as e:
            self.window.report_refusal(e.line())

    def pause(self) -> None:
        if self.runner is not None and self.runner.running:
            if self.runner.paused:
                self.runner.resume()
                self.window.run_label.setText("running")
            else:
                self.runner.pause()
                self.window.run_label.setText("paused")

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.window.run_label.setText("stopped")

    def probe(self, ref: str, window_s: float = DEFAULT_WINDOW_S, save: bool = True) -> QDockWidget | None:
        """Open a scope on ``node.port``; ``save`` also records the probe in the file (undoable)."""
        if save and ref not in dict(saved_probes(self.window.document.graph)):
            try:
                self.window.document.push(SetProbe(ref, {"window_s": window_s}))
            except PsigraphError as e:
                self.window.report_refusal(e.line())
                return None
        if ref in self.scopes:
            self.scopes[ref].show()
            self.scopes[ref].raise_()
            return self.scopes[ref]
        ScopeDock, runner = optional("scope", "ScopeDock"), self.ensure_runner()
        if ScopeDock is None or runner is None:
            self.missing_view("scope")
            return None
        try:
            dock = ScopeDock(runner, ref, window_s, self.window)
        except PsigraphError as e:
            self.window.report_refusal(e.line())
            return None
        self.place_scope(dock)
        self.scopes[ref] = dock
        return dock

    def place_scope(self, dock: QDockWidget) -> None:
        """Scopes fill the bottom: the first two side by side, later ones as tabs behind them."""
        shown = list(self.scopes.values())
        self.window.addDockWidget(Qt.BottomDockWidgetArea, dock)
        if len(shown) == 1:
            self.window.splitDockWidget(shown[0], dock, Qt.Horizontal)
        elif len(shown) >= 2:
            self.window.tabifyDockWidget(shown[len(shown) % 2], dock)
            shown[len(shown) % 2].raise_()
        self.window.resizeDocks([dock], [SCOPE_HEIGHT], Qt.Vertical)

    def open_views(self, defaults: bool = False) -> None:
        """The scopes saved with the graph (plus the speech defaults when asked) and the coupling
        editor of the first ψ-core; with ``defaults``, the views of a run as well."""
        refs = saved_probes(self.window.document.graph)
        if defaults:
            refs += [(r, DEFAULT_WINDOW_S) for r in default_probes(self.window.document.graph)]
        seen = set()
        for ref, window_s in refs:
            if ref not in seen:
                seen.add(ref)
                self.probe(ref, window_s, save=False)
        core = first_of(self.window.document.graph, "psi_core")
        if core:
            self.show_coupling(core)
        if defaults:
            self.open_run_views()

    def open_run_views(self) -> None:
        """The face of the first face animator and the profile: views of a running graph, opened
        when it starts (the face renderer is not free to keep idle)."""
        face = first_of(self.window.document.graph, "face_animator")
        if face:
            self.show_extra("faceview", "FaceView", lambda cls: cls(self.ensure_runner(), f"{face}.blendshapes"),
                             "Face")
        self.show_extra("profile", "ProfilePanel", lambda cls: cls(self.ensure_runner()), "Profile")

    def open_default_views(self) -> None:
        """For screenshots: the ψ order parameter and audio scopes in front of the saved ones."""
        self.open_views(defaults=True)
        for ref in default_probes(self.window.document.graph):
            if ref in self.scopes:
                self.scopes[ref].raise_()

    def show_coupling(self, nid: str) -> None:
        spec = self.window.document.graph.nodes.get(nid)
        if spec is None or spec.type.split("@")[0] != "psi_core":
            return
        self.show_extra("coupling", "CouplingEditor",
                         lambda cls: cls(self.window.document, nid, runner=self.ensure_runner()),
                         f"Coupling K_ij ({nid})", key=f"coupling:{nid}")

    def show_extra(self, module: str, name: str, make, title: str, key: str | None = None) -> None:
        """Open an optional view (coupling matrix, face, profile) in its dock, once."""
        key = key or module
        if key in self.extra_docks:
            self.extra_docks[key].show()
            self.extra_docks[key].raise_()
            return
        cls = optional(module, name)
        if cls is None or (module != "coupling" and self.ensure_runner() is None):
            self.missing_view(module)
            return
        try:
            widget = make(cls)
        except PsigraphError as e:
            self.window.report_refusal(e.line())
            return
        except Exception as e:  # noqa: BLE001 - a view that cannot start (no GL) must not take the editor down
            self.window.statusBar().showMessage(f"{title}: unavailable ({type(e).__name__}: {e})", 10000)
            return
        if isinstance(widget, QDockWidget):
            dock = widget
        else:
            dock = QDockWidget(title, self.window)
            dock.setObjectName(key)
            dock.setWidget(widget)
        self.place_extra(module, dock)
        self.extra_docks[key] = dock

    def place_extra(self, module: str, dock: QDockWidget) -> None:
        """Coupling matrix as a tab over the inspector, the face right of the scopes, the profile beside
        the issues."""
        if module == "coupling":
            self.window.addDockWidget(Qt.RightDockWidgetArea, dock)
            self.window.tabifyDockWidget(self.window.inspector_dock, dock)
            dock.raise_()
        elif module == "faceview":
            self.window.addDockWidget(Qt.BottomDockWidgetArea, dock)
            scopes = list(self.scopes.values())
            if scopes:
                self.window.splitDockWidget(scopes[min(1, len(scopes) - 1)], dock, Qt.Horizontal)
            self.window.resizeDocks([dock], [SCOPE_HEIGHT], Qt.Horizontal)
        else:
            self.window.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.window.tabifyDockWidget(self.window.issues_dock, dock)

    def close(self) -> None:
        """Stop a run and close the views bound to it (before another graph is opened)."""
        if self.runner is not None:
            self.runner.stop()
        for dock in list(self.scopes.values()) + list(self.extra_docks.values()):
            for target in {id(x): x for x in (dock, dock.widget()) if x is not None}.values():
                if hasattr(target, "shutdown"):
                    target.shutdown()
            self.window.removeDockWidget(dock)
            dock.deleteLater()
        self.scopes, self.extra_docks = {}, {}
        self.runner = None

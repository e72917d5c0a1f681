"""Qt clean-up for the editor tests."""


def pytest_sessionfinish(session, exitstatus):
    """Empty the clipboard before the interpreter exits: a QMimeData still owned by the offscreen
    platform's clipboard is destroyed after QApplication and segfaults the process (exit 139 after
    every test passed: the copy/paste tests put nodes on the clipboard)."""
    import sys
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication
        app = QApplication.instance()
        if app is not None:
            app.clipboard().clear()
            app.processEvents()

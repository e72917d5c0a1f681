"""What the benchmarks print about the machine they ran on (import as ``from machine import ...``)."""


def loadavg() -> str:
    """The whole /proc/loadavg line, or "n/a" where there is none."""
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "n/a"

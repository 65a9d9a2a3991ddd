"""Memory of the benchmark's own process, read from Linux's /proc."""

from __future__ import annotations

import os
from pathlib import Path


def memory_mb(field: str = "VmRSS") -> float:
    """``field`` of /proc/<pid>/status (VmRSS now, VmHWM peak) summed over this process and
    its live descendants (Spark's JVM), in MB."""
    total, pending = 0, [os.getpid()]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # the process ended while we looked
            continue
        kb = [line.split()[1] for line in status.splitlines() if line.startswith(field + ":")]
        total += int(kb[0]) if kb else 0
    return total / 1024

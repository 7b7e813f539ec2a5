"""Running one benchmark cell in a child process (its own peak memory, a timeout) and reading its JSON line."""

from __future__ import annotations

import json
import subprocess


def child_result(command: list[str], timeout: float, *, width: int = 100) -> dict:
    """The last JSON line the child printed, or {"status": ...} saying why there is none."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"status": "error: " + (done.stderr.strip().splitlines() or ["?"])[-1][:width]}
    return json.loads(lines[-1])

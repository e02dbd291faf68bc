# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the figures were measured: machine, interpreters and the collection's commit (read-only git call)."""

from __future__ import annotations

import os
import platform
import subprocess
import time

from .config import BenchConfig


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit(path: str) -> str:
    """The commit, with ``+changes`` when tracked files differ from it (``git diff`` reads, never writes the index)."""
    done = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", path, "diff", "--quiet", "HEAD", "--"], capture_output=True, timeout=30, check=False)
    return done.stdout.strip() + ("+changes" if dirty.returncode == 1 else "")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version  # pylint: disable=import-outside-toplevel
    found = {}
    for name in ("ansible-core", "pywinrm", "pyspnego"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


def describe(config: BenchConfig) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "packages": _versions(),
        "commit": _git_commit(os.path.dirname(config.tests_dir)),
    }

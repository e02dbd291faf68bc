# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ansible-playbook against simulated hosts and read back every task result (the record callback).

The collection under test is the copy ``make tree`` puts under build/ (PORTSCALE_COLLECTIONS_PATH); the hosts are a
simulator fleet started by the test in this process (``portscale_winsim.fleet.start_fleet``), on 127.0.0.1 only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
PLAYBOOK_TIMEOUT = 600  # seconds; every run is bounded


def collections_path() -> str:
    path = os.environ.get("PORTSCALE_COLLECTIONS_PATH")
    if not path or not os.path.isdir(os.path.join(path, "ansible_collections", "portscale", "tcpip")):
        raise RuntimeError("PORTSCALE_COLLECTIONS_PATH must name a folder holding ansible_collections/portscale/tcpip "
                           "(make reliability sets it to the build copy)")
    return path


@dataclasses.dataclass(frozen=True)
class TaskResult:
    host: str
    task: str
    status: str  # ok, changed, failed, ignored (failed with ignore_errors), unreachable, skipped
    result: dict

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))


@dataclasses.dataclass
class PlayRun:
    rc: int
    stdout: str
    stderr: str
    results: list[TaskResult]

    def of(self, host: str, task: str) -> TaskResult:
        """The last result of ``task`` (its name) on ``host``."""
        found = [r for r in self.results if r.host == host and r.task == task]
        if not found:
            raise AssertionError(f"no result for task {task!r} on {host}; recorded: "
                                 f"{sorted({(r.host, r.task) for r in self.results})}\n{self.stdout[-4000:]}")
        return found[-1]

    def statuses(self, task: str) -> dict[str, str]:
        return {r.host: r.status for r in self.results if r.task == task}

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def write_playbook(path: pathlib.Path, plays: t.Any) -> pathlib.Path:
    path.write_text(plays if isinstance(plays, str) else yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


def run_playbook(tmp_path: pathlib.Path, inventory: str, plays: t.Any, *, extra_vars: dict | None = None,
                 verbosity: int = 0, check: bool = False, diff: bool = False, limit: str | None = None,
                 forks: int = 25, env: dict[str, str] | None = None, name: str = "play",
                 extra_collections: t.Sequence[str] = (), playbook_exe: str = ANSIBLE_PLAYBOOK) -> PlayRun:
    """Run ``plays`` (YAML text or a list of plays) and return every recorded task result; ``extra_collections``
    are more collection roots after the collection under test (ansible.windows for the role's reboot); ``playbook_exe``
    another ansible-core's ansible-playbook (default: this Python's)."""
    run_dir = tmp_path / name
    run_dir.mkdir(parents=True, exist_ok=True)
    playbook = write_playbook(run_dir / "playbook.yml", plays)
    record = run_dir / "results.jsonl"
    record.unlink(missing_ok=True)
    argv = [playbook_exe, "-i", inventory, str(playbook), "--forks", str(forks)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    if verbosity:
        argv.append("-" + "v" * verbosity)
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if limit:
        argv += ["--limit", limit]
    environment = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections_path() + "".join(os.pathsep + path for path in extra_collections),
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="record",
        PORTSCALE_RECORD_FILE=str(record),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCAL_TEMP=str(run_dir / "tmp"),
        ANSIBLE_HOME=str(run_dir / "ansible-home"),
        ANSIBLE_DEPRECATION_WARNINGS="0",
        **(env or {}),
    )
    done = subprocess.run(argv, env=environment, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
    results = [TaskResult(**json.loads(line)) for line in lines]
    (run_dir / "stdout.txt").write_text(done.stdout, encoding="utf-8")
    (run_dir / "stderr.txt").write_text(done.stderr, encoding="utf-8")
    return PlayRun(done.returncode, done.stdout, done.stderr, results)


def play(hosts: str, tasks: list[dict], **keys: t.Any) -> list[dict]:
    """One play with gather_facts off (the simulator has no PowerShell modules)."""
    return [{"name": "reliability", "hosts": hosts, "gather_facts": False, **keys, "tasks": tasks}]


def row(ident: str) -> t.Any:
    """Mark a test as the proof of one docs/reliability.md row. Write the id literally (``row("F-01")``): the
    coverage test finds them in the source."""
    return pytest.mark.row(ident)

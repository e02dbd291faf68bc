# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes every task result of a playbook run as one JSON line, for the reliability tests to read back."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record
type: aggregate
short_description: One JSON line per task result (portscale.tcpip reliability tests)
description:
  - Appends C({host, task, status, result}) for every task result to the file named by E(PORTSCALE_RECORD_FILE).
  - The result is serialised the way the default callback shows it (no_log censoring, internal keys stripped).
"""

import json
import os

from ansible.plugins.callback import CallbackBase


def _part(result, name):
    """A TaskResult's ``result``/``host``/``task``: public from ansible-core 2.19, ``_result``/``_host``/``_task`` before
    (C-09 runs the oldest core)."""
    return getattr(result, name) if hasattr(result, name) else getattr(result, "_" + name)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._path = os.environ["PORTSCALE_RECORD_FILE"]

    def _record(self, status, result):
        data = json.loads(self._dump_results(_part(result, "result"), indent=None))
        line = {"host": _part(result, "host").get_name(), "task": _part(result, "task").get_name(), "status": status, "result": data}
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._record("changed" if _part(result, "result").get("changed") else "ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

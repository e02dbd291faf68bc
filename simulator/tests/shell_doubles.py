# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles the shell-layer tests share: a host model with only what win_reboot's emulation reads, a recorder
for native program calls, and PowerShell's -EncodedCommand encoding."""

from __future__ import annotations

import base64


class FakeModel:
    def __init__(self):
        self.counters = {}
        self.boot_time = 133500000000000000


class Recorder:
    def __init__(self, result=None):
        self.calls = []
        self.result = result

    def __call__(self, model, argv, codepage):
        self.calls.append(list(argv))
        return self.result


def b64(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's ``execute(script)`` backed by a simulated host (portscale_winsim's real shell layer), for unit tests."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.delivery import WINRM, encode_powershell
from portscale_winsim import shell
from portscale_winsim.model import HostModel

ANSIBLE_CODEPAGE = 65001


class SimHost:
    """Runs each script through the simulator's shell, encoded as the action plugins send it; keeps every script."""

    def __init__(self, model: HostModel) -> None:
        self.model = model
        self.scripts: list[str] = []

    def execute(self, script: str) -> tuple[int, str, str]:
        self.scripts.append(script)
        # As over winrm: the connection encodes what it is given; a script too long for cmd.exe's line goes on stdin.
        sent, stdin = WINRM.command(script)
        command, _sep, arguments = encode_powershell(sent).partition(" ")
        result = shell.run_command_line(self.model, command, arguments, stdin or b"", ANSIBLE_CODEPAGE)
        return result.exit_code, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a PowerShell script reaches the host through each connection plugin, on every supported ansible-core.

Each connection takes ``_low_level_execute_command(cmd, in_data)`` its own way, and some changed between cores
(read in ansible-core 2.16.19 ... 2.21.5, ``plugins/connection/{winrm,psrp,ssh}.py``):

* **winrm** has always run ``cmd`` as a PowerShell *script*: it encodes it into ``PowerShell ... -EncodedCommand``
  (``_encode_script`` up to 2.20, ``get_pwsh_encoded_cmdline`` in 2.21; "For backwards compatibility winrm always
  wrapped every command within PowerShell", 2.21). A line that already is ``-EncodedCommand`` is encoded a second
  time before 2.19, which starts a second powershell.exe and multiplies the line's length by about 2.7. So winrm
  gets the script itself: one powershell.exe on every core, and a line of exactly ``encode(script)``.
* **psrp** decodes a ``PowerShell ... -EncodedCommand`` line on every core and runs the script in its runspace (no
  process, no command line); anything else it runs as ``<cmd>\\nexit $LASTEXITCODE``, where 2.16-2.18 pass stdin
  bytes as a byte-array object. So psrp gets the encoded line and never stdin.
* **ssh** with a Windows shell encodes the line once more on 2.16-2.17 (after ``chcp.com 65001 > $null ;``) and
  passes it unchanged from 2.18; any other connection is unknown. They get the encoded line, sized so that even a
  second encoding fits.

WinRM (ansible-core and pywinrm leave WINRS_SKIP_CMD_SHELL false) and Windows OpenSSH with its default shell start
the command through ``cmd.exe /c``, which refuses a line of more than 8191 characters ("The command line is too
long.", Microsoft KB 830473). A script that does not fit goes on stdin behind a fixed loader, the way ansible-core's
own pipelining sends its exec wrapper (``$input | Out-String``, then a script block).
"""

from __future__ import annotations

import base64
import dataclasses
import typing as t

from .._windows.facts import CMD_LINE_LIMIT

# The exact prefix ansible-core's psrp connection recognises as "already encoded: decode it and run the script".
POWERSHELL_PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
# What ansible-core 2.16-2.17's ssh connection puts before the line it encodes once more.
REWRAP_PREFIX = "chcp.com 65001 > $null ; "
STDIN_LOADER = (
    "$ProgressPreference = 'SilentlyContinue'\n"
    "$portscale_script = $input | Out-String\n"
    "& ([ScriptBlock]::Create($portscale_script))\n"
)


class DeliveryError(ValueError):
    """The script cannot be sent this way (a bug in the caller: scripts are fixed ASCII text)."""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """How one connection takes a script.

    ``encoded``: give the connection a ready ``PowerShell ... -EncodedCommand`` line (else the script itself, which the
    connection encodes once). ``line_limit``: the host starts the command through cmd.exe, so the line it runs must
    not exceed it (None: the script runs in a runspace, there is no command line). ``rewrap``: a core may encode the
    given line once more, so size it for that.
    """

    encoded: bool
    line_limit: int | None
    rewrap: bool

    def host_line_length(self, script: str) -> int:
        """The length of the command line cmd.exe gets for ``script`` on the worst supported core."""
        line = encode_powershell(script)
        return len(REWRAP_PREFIX) + len(encode_powershell(line)) if self.rewrap else len(line)

    def fits(self, script: str) -> bool:
        return self.line_limit is None or self.host_line_length(script) <= self.line_limit

    def command(self, script: str) -> tuple[str, bytes | None]:
        """What to give ``_low_level_execute_command``: ``cmd`` and ``in_data`` (None when the script fits the line)."""
        if self.fits(script):
            return self._cmd(script), None
        if not script.isascii():
            raise DeliveryError("a script sent on stdin must be ASCII (stdin's code page is the host's)")
        return self._cmd(STDIN_LOADER), script.encode("ascii")

    def _cmd(self, script: str) -> str:
        return encode_powershell(script) if self.encoded else script


WINRM = Delivery(encoded=False, line_limit=CMD_LINE_LIMIT, rewrap=False)
PSRP = Delivery(encoded=True, line_limit=None, rewrap=False)
CAUTIOUS = Delivery(encoded=True, line_limit=CMD_LINE_LIMIT, rewrap=True)
# ansible-core's own plugins only: a third-party connection of the same short name may behave otherwise.
_BY_TRANSPORT = {"winrm": WINRM, "ansible.builtin.winrm": WINRM, "psrp": PSRP, "ansible.builtin.psrp": PSRP}


def encode_powershell(script: str) -> str:
    return POWERSHELL_PREFIX + base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def delivery_for(transport: str) -> Delivery:
    """The delivery for a connection plugin's ``transport`` (``winrm``, ``ansible.builtin.psrp``, ``ssh``, ...)."""
    return _BY_TRANSPORT.get(transport, CAUTIOUS)


#: ansible-core's ssh connection, under the names a task may give it.
SSH_TRANSPORTS = ("ssh", "ansible.builtin.ssh")


def refusal_hint(transport: str, core: t.Tuple[int, int], ran_nothing: bool) -> str:
    """A sentence to add when the host ran none of a script's commands, for a cause the host's words cannot name.

    Over ssh, ansible-core 2.16 and 2.17 send ``chcp.com 65001 > $null ; PowerShell ...`` (PowerShell syntax): with
    Windows OpenSSH's default shell, cmd.exe, nothing of it runs as meant and cmd.exe's complaint does not say why.
    """
    if ran_nothing and transport in SSH_TRANSPORTS and core < (2, 18):
        return (" Over ssh, ansible-core before 2.18 sends PowerShell syntax, so Windows OpenSSH must have PowerShell as "
                "its default shell (the DefaultShell registry value, as Ansible's Windows SSH guide says), or use ansible-core "
                "2.18 or later.")
    return ""

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH front end of the simulator (Windows OpenSSH with its default shell, cmd.exe), over the same host model as WinRM.

Needs ``asyncssh``; the rest of the simulator does not import this package unless SSH is asked for.
"""

from .keys import SshKeys, ensure_ssh_keys, write_known_hosts
from .limits import SshCounters, SshLimits
from .server import SshFrontEnd

__all__ = ["SshCounters", "SshFrontEnd", "SshKeys", "SshLimits", "ensure_ssh_keys", "write_known_hosts"]

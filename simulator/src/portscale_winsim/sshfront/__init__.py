# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH front end of the simulator (Windows OpenSSH with its default shell, cmd.exe), over the same host model as WinRM.

Needs ``asyncssh``; the rest of the simulator does not import this package unless SSH is asked for. The names below
are loaded on first use, so ``exec_line`` (how sshd turns an exec string into a process) imports without asyncssh.
"""

import importlib
import typing as t

_EXPORTS = {"SshCounters": "limits", "SshLimits": "limits", "SshFrontEnd": "server", "SshKeys": "keys",
            "ensure_ssh_keys": "keys", "write_known_hosts": "keys"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> t.Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

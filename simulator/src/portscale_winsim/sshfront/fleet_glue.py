# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``fleet.Fleet`` does for SSH: attach a front end to each SSH host, and write known_hosts and the inventory.

Kept here so the fleet only calls two functions, and imports this package (and asyncssh) only when SSH is asked for.
"""

from __future__ import annotations

import os
import typing as t

from .inventory import INVENTORY_NAME, ssh_yaml_inventory
from .keys import SshKeys, ensure_ssh_keys, write_known_hosts, write_private
from .limits import SshLimits
from .server import SshFrontEnd


def port_key(name: str) -> str:
    """The host's SSH entry in the fleet's ports.json (host names cannot contain ':', so it never clashes)."""
    return f"{name}:ssh"


def attach_front_ends(hosts: dict[str, t.Any], names: list[str], ports: dict[str, int], state_dir: str, user: str,  # pylint: disable=too-many-arguments
                      limits: SshLimits | None, default_shells: dict[str, str] | None = None) -> tuple[SshKeys, dict[str, SshFrontEnd]]:
    """One front end per named host, registered with the host so it listens and stops with it; ``default_shells``:
    sshd's DefaultShell per host ("cmd" when a host is not named)."""
    keys = ensure_ssh_keys(state_dir)
    fronts: dict[str, SshFrontEnd] = {}
    for name in names:
        front = SshFrontEnd(hosts[name], ports[port_key(name)], keys, user, limits, (default_shells or {}).get(name, "cmd"))
        hosts[name].front_ends.append(front)
        fronts[name] = front
    return keys, fronts


def write_ssh_files(state_dir: str, keys: SshKeys, fronts: dict[str, SshFrontEnd], user: str, control: dict[str, str]) -> None:
    write_known_hosts(keys, [front.port for front in fronts.values()])
    inventory = ssh_yaml_inventory([(name, front.port) for name, front in fronts.items()], user, keys, control)
    write_private(os.path.join(state_dir, INVENTORY_NAME), inventory.encode("utf-8"))

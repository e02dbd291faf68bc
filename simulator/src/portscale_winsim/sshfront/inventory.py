# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``inventory.ssh.yml``: the fleet's SSH hosts for ansible-core's ``ssh`` connection with the ``powershell`` shell."""

from __future__ import annotations

import json
import shlex

from .keys import SshKeys

INVENTORY_NAME = "inventory.ssh.yml"


def _scalar(value: str | int | bool) -> str:
    # JSON scalars are valid YAML scalars (strings quoted where needed, true/false, integers).
    return json.dumps(value)


def ssh_common_args(keys: SshKeys) -> str:
    """Host key validation stays on: the state dir's own known_hosts file, never ``StrictHostKeyChecking=no``."""
    return (f"-o UserKnownHostsFile={shlex.quote(keys.known_hosts_path)} -o StrictHostKeyChecking=yes "
            "-o IdentitiesOnly=yes")


def ssh_host_vars(port: int, user: str, keys: SshKeys) -> dict[str, str | int | bool]:
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": user,
        "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": keys.client_key_path,
        "ansible_ssh_common_args": ssh_common_args(keys),
        # Wins over ANSIBLE_HOST_KEY_CHECKING=False in a user's environment, which would put
        # StrictHostKeyChecking=no on the ssh command line before ssh_common_args (and ssh keeps the first value).
        "ansible_ssh_host_key_checking": True,
    }


def ssh_yaml_inventory(hosts: list[tuple[str, int]], user: str, keys: SshKeys, control: dict[str, str]) -> str:
    """Same layout as ``inventory.yml`` (group ``windows``, the same group vars), one entry per SSH-enabled host."""
    group_vars = {"ansible_shell_type": "powershell", **control}
    lines = ["# Written by the portscale.tcpip simulator; regenerated at every start.", "all:", "  children:", "    windows:",
             "      vars:", *(f"        {key}: {_scalar(value)}" for key, value in group_vars.items()), "      hosts:"]
    for name, port in hosts:
        lines.append(f"        {name}:")
        for key, value in ssh_host_vars(port, user, keys).items():
            lines.append(f"          {key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"

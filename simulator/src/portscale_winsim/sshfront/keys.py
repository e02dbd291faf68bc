# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH key material of one state dir: a host key, a client key pair and a known_hosts file, all owner-only (0600).

Keys are generated once and reused, so a restarted fleet keeps its identity: clients that recorded the host key keep
trusting it, and inventories keep pointing at the same client key. The client must validate the host key: the
known_hosts file names every host's ``[127.0.0.1]:port``.
"""

from __future__ import annotations

import dataclasses
import os

import asyncssh

SSH_DIR = "ssh"
HOST_KEY_NAME = "host_ed25519"
CLIENT_KEY_NAME = "client_ed25519"
KNOWN_HOSTS_NAME = "known_hosts"


@dataclasses.dataclass(frozen=True)
class SshKeys:
    """Paths of a state dir's SSH files, and the loaded keys the server needs."""

    host_key_path: str
    client_key_path: str
    client_public_key_path: str
    known_hosts_path: str
    host_key: asyncssh.SSHKey
    client_public_key: asyncssh.SSHKey

    def known_hosts_line(self, port: int) -> str:
        key = self.host_key.export_public_key("openssh").decode("ascii").split()
        return f"[127.0.0.1]:{port} {key[0]} {key[1]}"


def write_private(path: str, data: bytes) -> None:
    """Atomic and owner-only: OpenSSH refuses a private key that others can read."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _load_or_create(path: str, comment: str) -> asyncssh.SSHKey:
    if os.path.exists(path):
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    write_private(path, key.export_private_key("openssh"))
    return key


def ensure_ssh_keys(state_dir: str) -> SshKeys:
    """The state dir's keys, generated on first use (``<state-dir>/ssh/``, mode 0700)."""
    folder = os.path.join(state_dir, SSH_DIR)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    host_key_path = os.path.join(folder, HOST_KEY_NAME)
    client_key_path = os.path.join(folder, CLIENT_KEY_NAME)
    host_key = _load_or_create(host_key_path, "portscale.tcpip simulator host key")
    client_key = _load_or_create(client_key_path, "portscale.tcpip simulator client key")
    public_path = client_key_path + ".pub"
    write_private(public_path, client_key.export_public_key("openssh"))
    return SshKeys(host_key_path, client_key_path, public_path, os.path.join(folder, KNOWN_HOSTS_NAME),
                   host_key, client_key.convert_to_public())


def write_known_hosts(keys: SshKeys, ports: list[int]) -> None:
    """Rewritten at every start: it lists exactly the ports this fleet serves SSH on."""
    write_private(keys.known_hosts_path, "".join(keys.known_hosts_line(port) + "\n" for port in ports).encode("ascii"))

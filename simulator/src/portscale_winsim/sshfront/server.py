# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SSH front end of one simulated host: a second door to the same host model as its WS-Man listener.

It is registered in the host's ``front_ends`` (``wsman.HostServer``), which starts and stops it with the WS-Man
listener: while the host reboots, or under the ``refused`` fault, nothing answers on either port. Commands go
through ``HostServer.run_command_line``: the same shell layer, the same lock, the same state file, the same reboot
handling as WS-Man Commands.

Authentication is public key only, for the fleet's user and the state dir's client key. Port forwarding is refused
with a reason the client prints, shells, ptys and subsystems in ``ExecSession``; agent and X11 forwarding requests are
declined by asyncssh itself (OpenSSH clients then run the command without them). Refusals are counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
import typing as t

import asyncssh

from .keys import SshKeys
from .limits import SshCounters, SshLimits
from .session import ExecSession

log = logging.getLogger(__name__)

LISTEN_RETRIES = 40  # x 0.25 s: after a reboot the previous listener's socket may still be closing
FORWARDING_REFUSED = "port forwarding is not modelled by the portscale.tcpip simulator"


DEFAULT_SHELLS = ("cmd", "powershell")


class SshFrontEnd:
    """Serves one host over SSH on 127.0.0.1:``port``; every method runs on the fleet's event loop."""

    def __init__(self, host: t.Any, port: int, keys: SshKeys, user: str, limits: SshLimits | None = None,  # pylint: disable=too-many-arguments
                 default_shell: str = "cmd") -> None:
        if default_shell not in DEFAULT_SHELLS:
            raise ValueError(f"default_shell must be one of {', '.join(DEFAULT_SHELLS)}, not {default_shell!r}")
        self.host = host
        # sshd's DefaultShell: cmd.exe (Windows OpenSSH's default) or Windows PowerShell.
        self.default_shell = default_shell
        self.port = port
        self.keys = keys
        self.user = user
        self.limits = limits or SshLimits()
        self.counters = SshCounters()
        self.open_sessions = 0
        self._acceptor: t.Any = None
        self._connections: set[t.Any] = set()
        # asyncssh logs every connection and channel at INFO; the simulator's log would be mostly that.
        asyncssh_log = logging.getLogger("asyncssh")
        if asyncssh_log.level == logging.NOTSET:
            asyncssh_log.setLevel(logging.WARNING)

    @property
    def name(self) -> str:
        return self.host.config.name

    @property
    def listening(self) -> bool:
        return self._acceptor is not None

    # ----- up and down with the host (called by HostServer.listen / stop_listening) ----------------------------
    async def listen(self) -> None:
        if self._acceptor is not None:
            return
        for attempt in range(LISTEN_RETRIES):
            try:
                self._acceptor = await asyncssh.listen(
                    host="127.0.0.1", port=self.port, reuse_address=True, backlog=128,
                    server_factory=lambda: _Connection(self), server_host_keys=[self.keys.host_key],
                    # Key auth only. allow_pty lets pty requests reach ExecSession.pty_requested, which refuses and counts them.
                    public_key_auth=True, password_auth=False, kbdint_auth=False, host_based_auth=False, gss_host=None,
                    allow_pty=True, x11_forwarding=False, agent_forwarding=False, encoding=None,
                    login_timeout=self.limits.login_timeout, rdns_lookup=False,
                )
                return
            except OSError:
                if attempt == LISTEN_RETRIES - 1:
                    raise
                await asyncio.sleep(0.25)

    async def stop_listening(self) -> None:
        """Refuse new connections and cut the open ones, sessions and ControlMaster connections included."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor.close()
        for conn in list(self._connections):
            conn.abort()
        self._connections.clear()
        if acceptor is not None:
            try:
                await asyncio.wait_for(acceptor.wait_closed(), timeout=2)
            except asyncio.TimeoutError:
                log.warning("host %s: ssh listener did not close in time", self.name)

    # ----- what sessions need ---------------------------------------------------------------------------------
    def codepage(self) -> int:
        """Native programs under sshd write in the OEM code page [INF: no chcp is run for a non-pty exec]."""
        return int(getattr(self.host.model, "oem_codepage", 437) or 437)

    def slow_command_ms(self) -> int:
        """The host's ``slow-command`` fault applies to programs started over SSH too."""
        return int(getattr(self.host.faults, "slow_command_ms", 0) or 0)

    def refuse(self, kind: str, what: str) -> None:
        self.counters.refused[kind] += 1
        log.info("host %s: ssh %s refused", self.name, what)

    def describe(self) -> dict:
        return {"ssh_port": self.port, "ssh_user": self.user}

    def reset_counters(self) -> None:
        self.counters = SshCounters()

    def counters_dict(self) -> dict:
        return {**self.counters.to_dict(), "open_connections": len(self._connections), "open_sessions": self.open_sessions,
                "listening": self.listening}

    def track(self, conn: t.Any) -> bool:
        """Count a new connection; False (and the caller drops it) past the connection bound."""
        self.counters.connections += 1
        if len(self._connections) >= self.limits.max_connections or not self.listening:
            return False
        self._connections.add(conn)
        return True

    def untrack(self, conn: t.Any) -> None:
        self._connections.discard(conn)


class _Connection(asyncssh.SSHServer):
    """One client connection: authentication, session bounds, idle timeout, and the refusals."""

    def __init__(self, front: SshFrontEnd) -> None:
        self._front = front
        self._conn: t.Any = None
        self._sessions = 0
        self._lost = False
        self._idle: asyncio.TimerHandle | None = None

    # ----- lifecycle and idle timeout --------------------------------------------------------------------
    def connection_made(self, conn: t.Any) -> None:
        self._conn = conn
        if not self._front.track(conn):
            self._front.refuse("too-many-connections", f"connection beyond {self._front.limits.max_connections}")
            conn.abort()
            return
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        del exc
        self._lost = True
        self._disarm_idle()
        self._front.untrack(self._conn)

    def _arm_idle(self) -> None:
        self._disarm_idle()
        self._idle = asyncio.get_running_loop().call_later(self._front.limits.idle_timeout, self._idle_expired)

    def _disarm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _idle_expired(self) -> None:
        log.info("host %s: closing an ssh connection idle for %.0f s", self._front.name, self._front.limits.idle_timeout)
        self._conn.close()

    # ----- authentication: the fleet user's client key, nothing else ------------------------------------------
    def begin_auth(self, username: str) -> bool:
        del username
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Windows account names are case-insensitive.
        accepted = (username.casefold() == self._front.user.casefold()
                    and key.public_data == self._front.keys.client_public_key.public_data)
        if not accepted:
            self._front.counters.auth_failures += 1
        return accepted

    # ----- channels ---------------------------------------------------------------------------------------
    def session_requested(self) -> ExecSession:
        front = self._front
        if self._sessions >= front.limits.max_sessions_per_connection or front.open_sessions >= front.limits.max_sessions:
            front.refuse("too-many-sessions", "session beyond the session limits")
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_RESOURCE_SHORTAGE, "too many sessions on the simulated host")
        self._sessions += 1
        front.open_sessions += 1
        front.counters.sessions += 1
        self._disarm_idle()
        return ExecSession(front, self._session_closed)

    def _session_closed(self) -> None:
        self._sessions -= 1
        self._front.open_sessions -= 1
        if self._sessions == 0 and not self._lost:
            self._arm_idle()

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        del dest_host, dest_port, orig_host, orig_port
        self._front.refuse("port-forward", "direct-tcpip (local port forwarding)")
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, FORWARDING_REFUSED)

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        del listen_host, listen_port
        self._front.refuse("port-forward", "tcpip-forward (remote port forwarding)")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        del dest_path
        self._front.refuse("port-forward", "direct-streamlocal (unix socket forwarding)")
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, FORWARDING_REFUSED)

    def unix_server_requested(self, listen_path: str) -> bool:
        del listen_path
        self._front.refuse("port-forward", "streamlocal-forward (remote unix socket forwarding)")
        return False

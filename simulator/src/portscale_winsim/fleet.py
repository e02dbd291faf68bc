# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of simulated hosts in one process: ports, state files, inventories, control operations."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import socket
import threading
import time
import typing as t

from .command_log import log_of
from .control import ControlClient, ControlServer, OperationError
from .wsman import (
    FAULT_KINDS, AuthSettings, HostConfig, HostServer, HttpCounters, channel_binding_data, ensure_tls_files,
    server_ssl_context, write_ntlm_user_file,
)

log = logging.getLogger(__name__)

PORT_FLOOR = 20000
PORT_CEILING = 32767  # below Linux's ephemeral range (TOOLING: a TIME_WAIT client socket could hold a port above it)
MAX_HOSTS = 1000
AUTH_CHOICES = ("basic", "ntlm", "both")
FLEET_FILE = "fleet.json"
PORTS_FILE = "ports.json"  # kept after stop, so a restarted fleet gets the same ports (and inventories) back
TOKEN_FILE = "control.token"
PASSWORD_FILE = "password"
DEFAULT_USER = "simadmin"
HOST_OPTION_KEYS = ("locale", "elevated", "hyperv", "load", "seed", "auth", "https", "ssh", "ssh_shell")
#: What sshd starts commands with: its default cmd.exe, or PowerShell when the DefaultShell registry value names it
#: (Microsoft "OpenSSH Server configuration for Windows": HKLM\SOFTWARE\OpenSSH DefaultShell).
SSH_SHELLS = ("cmd", "powershell")


class FleetError(OperationError):
    """Bad fleet options, or a fleet that cannot start."""


@dataclasses.dataclass
class HostSpec:
    """How to build one host (``--host NAME:PROFILE[:key=value...]``)."""

    name: str
    profile: str = "server2022"
    locale: str = "en-US"
    elevated: bool = True
    hyperv: bool | str | None = None  # True/False, or "heavy" (VMs, WSL and containers: many WinNAT blocks, UDP too)
    load: str = "idle"
    seed: int | None = None
    auth: str | None = None
    https: bool | None = None
    ssh: bool | None = None  # an SSH front end next to WinRM (None: the fleet's ``ssh`` option)
    ssh_shell: str = "cmd"  # sshd's DefaultShell (SSH_SHELLS)


@dataclasses.dataclass
class FleetOptions:
    """Everything ``start`` accepts."""

    state_dir: str
    count: int = 1
    profile: str = "server2022"
    hosts: list[HostSpec] = dataclasses.field(default_factory=list)
    auth: str = "ntlm"
    https: bool = False
    latency_ms: int = 0
    user: str = DEFAULT_USER
    password: str | None = None
    boot_seconds: float = 2.0
    reboot_grace: float = 1.0
    max_lifetime: float = 4 * 3600.0
    max_shells: int = 30
    max_operations: int = 1500
    workers: int = 8
    ssh: bool = False  # every host also serves SSH (``sshfront``; needs asyncssh)
    ssh_limits: t.Any = None  # an ``sshfront.SshLimits``; None: its defaults


@dataclasses.dataclass(frozen=True)
class HostInfo:
    """A started host, as tests and inventories see it."""

    name: str
    port: int
    scheme: str
    auth: tuple[str, ...]
    ssh_port: int | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/wsman"

    @property
    def transport(self) -> str:
        """The pywinrm/Ansible transport to use: NTLM when offered (the Windows default), else Basic."""
        return "ntlm" if "ntlm" in self.auth else "basic"


def _parse_bool(text: str, what: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise FleetError(f"{what}: expected true or false, got {text!r}")


def parse_host_spec(text: str) -> HostSpec:
    """``NAME:PROFILE[:key=value...]`` with keys locale, elevated, hyperv, load, seed, auth, https, ssh, ssh_shell."""
    parts = text.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FleetError(f"--host {text!r}: expected NAME:PROFILE[:key=value...]")
    name = parts[0]
    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 63:
        raise FleetError(f"--host {text!r}: host names are letters, digits, '-' and '_' (at most 63)")
    spec = HostSpec(name=name, profile=parts[1])
    for item in parts[2:]:
        key, sep, value = item.partition("=")
        if not sep or key not in HOST_OPTION_KEYS:
            raise FleetError(f"--host {text!r}: unknown option {item!r}; keys are {', '.join(HOST_OPTION_KEYS)}")
        if key == "hyperv" and value.strip().lower() == "heavy":
            spec.hyperv = "heavy"
        elif key in ("elevated", "hyperv", "https", "ssh"):
            setattr(spec, key, _parse_bool(value, f"--host {name} {key}"))
        elif key == "seed":
            if not value.isdigit():
                raise FleetError(f"--host {name} seed must be a non-negative integer")
            spec.seed = int(value)
        elif key == "ssh_shell":
            if value not in SSH_SHELLS:
                raise FleetError(f"--host {name} ssh_shell must be one of {', '.join(SSH_SHELLS)}")
            spec.ssh_shell = value
        elif key == "auth":
            if value not in AUTH_CHOICES:
                raise FleetError(f"--host {name} auth must be one of {', '.join(AUTH_CHOICES)}")
            spec.auth = value
        else:
            setattr(spec, key, value)
    return spec


def host_specs(options: FleetOptions) -> list[HostSpec]:
    """Explicit hosts first, then ``count`` hosts of the default profile named win001, win002, ..."""
    specs = list(options.hosts)
    taken = {spec.name for spec in specs}
    number = 0
    added = 0
    while added < options.count:
        number += 1
        name = f"win{number:03d}"
        if name in taken:
            continue
        specs.append(HostSpec(name=name, profile=options.profile))
        taken.add(name)
        added += 1
    if not specs:
        raise FleetError("no hosts to start (use --count or --host)")
    if len(specs) > MAX_HOSTS:
        raise FleetError(f"at most {MAX_HOSTS} hosts per fleet")
    if len(taken) != len(specs):
        raise FleetError("host names must be unique")
    return specs


def _write_private(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def load_or_create_password(state_dir: str, given: str | None) -> str:
    """The fleet account's password: given, or generated once and kept in the state dir (0600)."""
    path = os.path.join(state_dir, PASSWORD_FILE)
    if given is not None:
        if not given or any(c in given for c in ":\n\r\t \"'#"):
            raise FleetError("--password must be non-empty, without ':', quotes, '#' or whitespace (it goes into INI and NTLM files)")
        _write_private(path, given + "\n")
        return given
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    password = "Sim-" + secrets.token_urlsafe(15)
    _write_private(path, password + "\n")
    return password


def _host_vars(info: HostInfo, user: str, password: str, ca_cert: str | None) -> dict[str, str]:
    """Connection variables of one host; certificate validation stays on for HTTPS (our own CA)."""
    host_vars = {
        "ansible_host": "127.0.0.1",
        "ansible_port": str(info.port),
        "ansible_user": user,
        "ansible_password": password,
        "ansible_connection": "winrm",
        "ansible_winrm_transport": info.transport,
        "ansible_winrm_scheme": info.scheme,
    }
    if info.scheme == "https":
        host_vars["ansible_winrm_server_cert_validation"] = "validate"
        if ca_cert:
            host_vars["ansible_winrm_ca_trust_path"] = ca_cert
    return host_vars


def _psrp_host_vars(info: HostInfo, user: str, password: str, ca_cert: str | None) -> dict[str, str]:
    """The same host through ansible-core's psrp connection (PSRP on the same WS-Man endpoint, Microsoft.PowerShell):
    the port, scheme and authentication the host serves; message encryption as over WinRS: NTLM over HTTP encrypts
    (``auto``), HTTPS relies on TLS (``auto`` does not encrypt there), Basic over HTTP goes in clear text to a host
    with AllowUnencrypted (``never``: pypsrp refuses ``auto`` with Basic over HTTP); certificate validation on for
    HTTPS, against the fleet's CA."""
    host_vars = {
        "ansible_host": "127.0.0.1",
        "ansible_port": str(info.port),
        "ansible_user": user,
        "ansible_password": password,
        "ansible_connection": "psrp",
        "ansible_psrp_protocol": info.scheme,
        "ansible_psrp_auth": info.transport,
        "ansible_psrp_message_encryption": "never" if (info.transport == "basic" and info.scheme == "http") else "auto",
    }
    if info.scheme == "https":
        host_vars["ansible_psrp_cert_validation"] = "validate"
        if ca_cert:
            host_vars["ansible_psrp_ca_cert"] = ca_cert
    return host_vars


def _group_vars(control: dict[str, str]) -> dict[str, str]:
    """Group vars: the shell type, and where tests read a host's counters (absent from real inventories)."""
    return {"ansible_shell_type": "powershell", **control}


def ini_inventory(infos: list[HostInfo], user: str, password: str, ca_cert: str | None, control: dict[str, str],  # pylint: disable=too-many-arguments
                  host_vars_of: t.Callable = _host_vars) -> str:
    """``inventory.winrm`` in the layout of ansible-test's ``inventory.winrm.template`` (INI only); ``inventory.psrp``
    the same for the psrp connection (``host_vars_of=_psrp_host_vars``)."""
    lines = ["# Written by the portscale.tcpip simulator; regenerated at every start.", "[windows]"]
    for info in infos:
        host_vars = host_vars_of(info, user, password, ca_cert)
        lines.append(info.name + "".join(f" {key}={value}" for key, value in host_vars.items()))
    lines += ["", "[windows:vars]", *(f"{key}={value}" for key, value in _group_vars(control).items()), "",
              "[winrm:children]", "windows", "", "[testhost:children]", "windows", ""]
    return "\n".join(lines)


def _yaml_scalar(value: str) -> str:
    # JSON strings are valid YAML scalars and quote everything that needs it.
    return value if value.isdigit() else json.dumps(value)


def yaml_inventory(infos: list[HostInfo], user: str, password: str, ca_cert: str | None, control: dict[str, str],  # pylint: disable=too-many-arguments
                   host_vars_of: t.Callable = _host_vars) -> str:
    """``inventory.yml`` (``inventory.psrp.yml`` with ``host_vars_of=_psrp_host_vars``): the hosts as a YAML inventory
    (group ``windows``)."""
    lines = ["# Written by the portscale.tcpip simulator; regenerated at every start.", "all:", "  children:", "    windows:",
             "      vars:", *(f"        {key}: {_yaml_scalar(value)}" for key, value in _group_vars(control).items()), "      hosts:"]
    for info in infos:
        lines.append(f"        {info.name}:")
        for key, value in host_vars_of(info, user, password, ca_cert).items():
            lines.append(f"          {key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(names: list[str], previous: dict[str, int]) -> dict[str, int]:
    """A free loopback port below 32768 per host; a host keeps its previous port when that is still free."""
    chosen: dict[str, int] = {}
    used: set[int] = set()
    for name in names:
        port = previous.get(name)
        if port and PORT_FLOOR <= port <= PORT_CEILING and port not in used and _port_is_free(port):
            chosen[name] = port
            used.add(port)
    candidate = PORT_FLOOR + secrets.randbelow(4000)
    for name in names:
        if name in chosen:
            continue
        for dummy in range(PORT_CEILING - PORT_FLOOR + 1):
            candidate = candidate + 1 if candidate < PORT_CEILING else PORT_FLOOR
            if candidate not in used and _port_is_free(candidate):
                break
        else:
            raise FleetError("no free port below 32768")
        chosen[name] = candidate
        used.add(candidate)
    return chosen


def read_fleet_file(state_dir: str) -> dict | None:
    try:
        with open(os.path.join(state_dir, FLEET_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _read_ports(state_dir: str) -> dict[str, int]:
    try:
        with open(os.path.join(state_dir, PORTS_FILE), encoding="utf-8") as handle:
            ports = json.load(handle)
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in ports.items() if isinstance(v, int)} if isinstance(ports, dict) else {}


def _default_model_factory() -> t.Callable[[HostSpec, str, int], t.Any]:
    from .model import HostModel  # pylint: disable=import-outside-toplevel

    def factory(spec: HostSpec, path: str, index: int) -> t.Any:
        if os.path.exists(path):
            return HostModel.load(path)
        model = HostModel.create(
            spec.name, profile=spec.profile, locale=spec.locale, elevated=spec.elevated, hyperv=spec.hyperv,
            load=spec.load, seed=spec.seed if spec.seed is not None else index,
        )
        model.save(path)
        return model
    return factory


def _default_runner() -> t.Callable:
    from .shell import run_command_line  # pylint: disable=import-outside-toplevel
    return run_command_line


def _ssh_glue() -> t.Any:
    """The SSH package, imported only when SSH is asked for (so WinRM-only fleets do not need asyncssh)."""
    try:
        from .sshfront import fleet_glue  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise FleetError(f"--ssh needs the asyncssh package (pip install 'portscale-winsim[ssh]'): {exc}") from exc
    return fleet_glue


class Fleet:
    """All hosts, the control endpoint and the fleet files of one state dir. Lives on one event loop."""

    def __init__(self, options: FleetOptions, model_factory: t.Callable | None = None, runner: t.Callable | None = None) -> None:
        if options.auth not in AUTH_CHOICES:
            raise FleetError(f"--auth must be one of {', '.join(AUTH_CHOICES)}")
        self.options = options
        self.specs = host_specs(options)
        self.model_factory = model_factory or _default_model_factory()
        self.runner = runner or _default_runner()
        self.state_dir = os.path.abspath(options.state_dir)
        self.hosts: dict[str, HostServer] = {}
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(options.workers, 64)), thread_name_prefix="simhost")
        self.control: ControlServer | None = None
        self.password = ""
        self.token = ""
        self.ca_cert: str | None = None
        self.ssh: dict[str, t.Any] = {}  # host name -> sshfront.SshFrontEnd
        self.ssh_keys: t.Any = None
        self._stop = asyncio.Event()
        self._started = time.time()

    # ----- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        os.makedirs(os.path.join(self.state_dir, "hosts"), mode=0o700, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        self.password = load_or_create_password(self.state_dir, self.options.password)
        write_ntlm_user_file(self.state_dir, self.options.user, self.password)
        tls_files = ensure_tls_files(self.state_dir) if (self.options.https or any(s.https for s in self.specs)) else None
        self.ca_cert = tls_files.ca_cert if tls_files else None
        ssh_names = [s.name for s in self.specs if (self.options.ssh if s.ssh is None else s.ssh)]
        glue = _ssh_glue() if ssh_names else None
        ssh_port_names = [glue.port_key(name) for name in ssh_names] if glue else []
        ports = pick_ports([s.name for s in self.specs] + ssh_port_names, _read_ports(self.state_dir))
        loop = asyncio.get_running_loop()
        for index, spec in enumerate(self.specs):
            path = os.path.join(self.state_dir, "hosts", f"{spec.name}.json")
            model = await loop.run_in_executor(self.executor, self.model_factory, spec, path, index)
            self.hosts[spec.name] = self._make_host(spec, ports[spec.name], path, model, tls_files)
        if glue:
            self.ssh_keys, self.ssh = glue.attach_front_ends(self.hosts, ssh_names, ports, self.state_dir, self.options.user,
                                                             self.options.ssh_limits, {s.name: s.ssh_shell for s in self.specs})
        try:
            await asyncio.gather(*(host.listen() for host in self.hosts.values()))
        except OSError as exc:
            await self.shutdown()
            raise FleetError(f"cannot listen: {exc}") from exc
        for host in self.hosts.values():
            host.faults.set_latency(self.options.latency_ms)
        self.token = secrets.token_hex(24)
        _write_private(os.path.join(self.state_dir, TOKEN_FILE), self.token + "\n")
        self.control = ControlServer(self, self.token)
        # Below 32768 like the hosts: Linux's ephemeral range starts there (TOOLING.md).
        await self.control.start(pick_ports(["control"], {})["control"])
        await self._check_ready()
        self._write_files()
        loop.call_later(self.options.max_lifetime, self._watchdog)

    def _make_host(self, spec: HostSpec, port: int, path: str, model: t.Any, tls_files: t.Any) -> HostServer:
        auth_choice = spec.auth or self.options.auth
        https = self.options.https if spec.https is None else spec.https
        settings = AuthSettings(
            basic=auth_choice in ("basic", "both"),
            ntlm=auth_choice in ("ntlm", "both"),
            username=self.options.user,
            password=self.password,
            # Basic over HTTP only works where an admin set AllowUnencrypted=true; model that host configuration.
            allow_unencrypted=auth_choice in ("basic", "both"),
            channel_binding_data=channel_binding_data(tls_files) if https else None,
        )
        config = HostConfig(
            name=spec.name, port=port, scheme="https" if https else "http", auth=settings, state_path=path,
            max_shells=self.options.max_shells, max_operations=self.options.max_operations,
            boot_seconds=self.options.boot_seconds, reboot_grace=self.options.reboot_grace,
        )
        return HostServer(config, model, self.runner, self.executor, server_ssl_context(tls_files) if https else None)

    async def _check_ready(self) -> None:
        """Every host must accept a TCP connection before the fleet reports ready."""
        async def probe(port: int) -> None:
            dummy, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=5)
            writer.close()
        ports = [host.config.port for host in self.hosts.values()] + [front.port for front in self.ssh.values()]
        await asyncio.gather(*(probe(port) for port in ports))

    def _watchdog(self) -> None:
        log.warning("max lifetime of %.0f s reached: stopping the simulator", self.options.max_lifetime)
        self.request_stop()

    def request_stop(self) -> None:
        self._stop.set()

    async def wait_stopped(self) -> None:
        await self._stop.wait()

    async def shutdown(self) -> None:
        """Close listeners, save models, remove the pid/control files."""
        if self.control is not None:
            await self.control.stop()
        await asyncio.gather(*(host.shutdown() for host in self.hosts.values()), return_exceptions=True)
        for name in (FLEET_FILE, TOKEN_FILE):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.state_dir, name))
        self.executor.shutdown(wait=True, cancel_futures=True)

    # ----- files ------------------------------------------------------------------------------------------
    def host_infos(self) -> list[HostInfo]:
        return [HostInfo(h.config.name, h.config.port, h.config.scheme, tuple(h.describe()["auth"]), h.describe().get("ssh_port"))
                for h in self.hosts.values()]

    def _write_files(self) -> None:
        assert self.control is not None
        description = {
            "pid": os.getpid(),
            "started": self._started,
            "control_port": self.control.port,
            "token_file": os.path.join(self.state_dir, TOKEN_FILE),
            "user": self.options.user,
            "password_file": os.path.join(self.state_dir, PASSWORD_FILE),
            "ca_cert": self.ca_cert,
            "hosts": [host.describe() for host in self.hosts.values()],
        }
        _write_private(os.path.join(self.state_dir, FLEET_FILE), json.dumps(description, indent=2) + "\n")
        ports = {**_read_ports(self.state_dir), **{h.config.name: h.config.port for h in self.hosts.values()}}
        if self.ssh:
            ports.update({_ssh_glue().port_key(name): front.port for name, front in self.ssh.items()})
        _write_private(os.path.join(self.state_dir, PORTS_FILE), json.dumps(ports, indent=2, sort_keys=True) + "\n")
        infos = self.host_infos()
        control = {"portscale_sim_control_url": f"http://127.0.0.1:{self.control.port}", "portscale_sim_control_token": self.token}
        _write_private(os.path.join(self.state_dir, "inventory.winrm"),
                       ini_inventory(infos, self.options.user, self.password, self.ca_cert, control))
        _write_private(os.path.join(self.state_dir, "inventory.yml"),
                       yaml_inventory(infos, self.options.user, self.password, self.ca_cert, control))
        _write_private(os.path.join(self.state_dir, "inventory.psrp.yml"),
                       yaml_inventory(infos, self.options.user, self.password, self.ca_cert, control, _psrp_host_vars))
        _write_private(os.path.join(self.state_dir, "inventory.psrp"),
                       ini_inventory(infos, self.options.user, self.password, self.ca_cert, control, _psrp_host_vars))
        if self.ssh:
            _ssh_glue().write_ssh_files(self.state_dir, self.ssh_keys, self.ssh, self.options.user, control)

    # ----- control operations -----------------------------------------------------------------------------
    def targets(self, target: str) -> list[HostServer]:
        if target == "all":
            return list(self.hosts.values())
        if target not in self.hosts:
            raise FleetError(f"unknown host {target!r}")
        return [self.hosts[target]]

    def status(self) -> dict:
        return {
            "pid": os.getpid(),
            "uptime": round(time.time() - self._started, 3),
            "max_lifetime": self.options.max_lifetime,
            "hosts": [host.status() for host in self.hosts.values()],
        }

    async def host_op(self, host: HostServer, op: str, args: dict) -> t.Any:  # pylint: disable=too-many-return-statements
        """One ``ctl`` operation on one host."""
        if op == "reboot":
            return {"scheduled": host.schedule_reboot(float(args.get("delay", 0)))}
        if op == "counters":
            model_counters = await host.with_model(lambda m: dict(getattr(m, "counters", {})))
            ssh = {"ssh": self.ssh[host.config.name].counters_dict()} if host.config.name in self.ssh else {}
            return {"http": host.counters.to_dict(), "model": model_counters, "shells": host.shells.snapshot(), **ssh}
        if op == "reset-counters":
            host.counters = HttpCounters()
            if host.config.name in self.ssh:
                self.ssh[host.config.name].reset_counters()
            await host.with_model(_reset_model_counters)
            return {"reset": True}
        if op == "commands":
            # What the host received (command_log.py): read-only, in memory, cleared by reset-counters.
            since = int(args.get("since", 0))
            return await host.with_model(lambda m: _command_log_snapshot(m, since))
        if op == "state":
            model_state = await host.with_model(lambda m: m.to_dict())
            return {"server": host.status(), "model": model_state}
        if op == "set-load":
            value = args.get("load")
            if not isinstance(value, (str, dict)):
                raise FleetError("set-load needs a preset name or a JSON object")
            await host.with_model(lambda m: _mark_dirty(m, m.set_load(value)))
            return {"load": value}
        if op == "fault":
            return await self._fault(host, str(args.get("kind", "")), args)
        if op == "clear-faults":
            host.faults.clear()
            await host.set_refused(False)
            await host.with_model(lambda m: _mark_dirty(m, m.clear_faults()))
            return {"cleared": True}
        if op == "latency":
            host.faults.set_latency(args.get("ms", 0))
            return {"latency_ms": host.faults.latency_ms}
        if op == "elevate":
            elevated = bool(args.get("on", True))
            await host.with_model(lambda m: _set_elevated(m, elevated))
            return {"elevated": elevated}
        raise FleetError(f"unknown operation {op!r}")

    async def _fault(self, host: HostServer, kind: str, args: dict) -> dict:
        if kind == "command-fail":
            match = str(args.get("match", ""))
            if not match:
                raise FleetError("fault command-fail needs a 'match' text")
            exit_code = int(args.get("exit_code", 1))
            stdout = str(args.get("stdout", "")).encode("utf-8")
            stderr = str(args.get("stderr", "")).encode("utf-8")
            times = args.get("times")
            await host.with_model(lambda m: _mark_dirty(m, m.inject_command_failure(
                match, exit_code, stdout=stdout, stderr=stderr, times=int(times) if times is not None else None)))
            return {"fault": kind, "match": match}
        if kind not in FAULT_KINDS:
            raise FleetError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS + ('command-fail',))}")
        host.faults.apply(kind, args)
        if kind == "refused":
            await host.set_refused(host.faults.refused)
        return {"fault": kind, "faults": host.faults.to_dict()}


def _mark_dirty(model: t.Any, _result: t.Any = None) -> None:
    model.dirty = True


def _set_elevated(model: t.Any, elevated: bool) -> None:
    model.elevated = elevated
    model.dirty = True


def _reset_model_counters(model: t.Any) -> None:
    counters = getattr(model, "counters", None)
    if isinstance(counters, dict):
        for key in counters:
            counters[key] = 0
    received = log_of(model)
    if received is not None:
        received.clear()


def _command_log_snapshot(model: t.Any, since: int) -> dict:
    received = log_of(model)
    return received.snapshot(since) if received is not None else {"entries": [], "recorded": 0, "kept": 0, "dropped": 0, "max_entries": 0}


async def run_fleet(fleet: Fleet, on_ready: t.Callable[[], None] | None = None, handle_signals: bool = False) -> None:
    """Start, report ready, serve until stopped (SIGTERM/SIGINT when ``handle_signals``), shut down cleanly."""
    loop = asyncio.get_running_loop()
    if handle_signals:
        import signal  # pylint: disable=import-outside-toplevel
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, fleet.request_stop)
    await fleet.start()
    try:
        if on_ready is not None:
            on_ready()
        await fleet.wait_stopped()
    finally:
        await fleet.shutdown()


@dataclasses.dataclass
class FleetHandle:
    """What ``start_fleet`` yields to tests."""

    fleet: Fleet
    hosts: list[HostInfo]
    control: ControlClient
    state_dir: str
    user: str
    password: str
    ca_cert: str | None

    def host(self, name: str) -> HostInfo:
        return next(h for h in self.hosts if h.name == name)


@contextlib.contextmanager
def start_fleet(state_dir: str, count: int = 1, model_factory: t.Callable | None = None, runner: t.Callable | None = None,
                ready_timeout: float = 60.0, **options: t.Any) -> t.Iterator[FleetHandle]:
    """Run a fleet on a background event-loop thread of this process for the duration of a ``with`` block."""
    fleet = Fleet(FleetOptions(state_dir=state_dir, count=count, **options), model_factory=model_factory, runner=runner)
    ready = threading.Event()
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()

    def main() -> None:
        try:
            loop.run_until_complete(run_fleet(fleet, on_ready=ready.set))
        except BaseException as exc:  # pylint: disable=broad-exception-caught
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=main, name="simulator-fleet", daemon=True)
    thread.start()
    if not ready.wait(ready_timeout) or failure:
        loop.call_soon_threadsafe(fleet.request_stop)
        thread.join(10)
        raise FleetError(f"fleet did not start: {failure[0] if failure else 'timeout'}") from (failure[0] if failure else None)
    assert fleet.control is not None
    handle = FleetHandle(fleet, fleet.host_infos(), ControlClient(fleet.control.port, fleet.token), fleet.state_dir,
                         fleet.options.user, fleet.password, fleet.ca_cert)
    try:
        yield handle
    finally:
        if not loop.is_closed():
            loop.call_soon_threadsafe(fleet.request_stop)
        thread.join(30)

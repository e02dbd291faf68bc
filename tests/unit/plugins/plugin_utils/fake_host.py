# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small in-memory Windows host for unit tests: it runs the engine's batch scripts command by command.

``FakeHost.execute(script)`` is what the engine calls (``remote.run_batch``): it checks the script has exactly the
envelope ``remote.build_batch`` writes, answers each native command from the host's state with the text Windows
prints (samples.py), applies writes, and prints the marker lines. Anything it does not recognise is a test failure
(AssertionError), so a change in the commands the engine sends cannot pass unnoticed. It counts executions and the
writes that changed something. ``FakeConnection`` puts it behind the connection interface an action plugin uses, and
``run_action`` runs a module's action plugin against it the way the task executor does.

Faults: ``refusals`` (a command containing a text answers an exit code and output instead of running),
``lie_about_writes`` (writes answer success and change nothing), ``crash`` (the host stops after N commands of a
given execution) and ``stderr`` (PowerShell writes an error on stderr during a given execution).
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import typing as t

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins import loader as plugin_loader
from ansible.template import Templar

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import ALL_COMBOS
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import remote
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.delivery import CMD_LINE_LIMIT, STDIN_LOADER, encode_powershell
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples

TCPIP_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
OS_VERSION_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
BOOT_ID_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management\PrefetchParameters"
MARKER_KEY = r"HKLM\SOFTWARE\portscale.tcpip"
WINNAT_BLOCK = 100
Answer = t.Tuple[int, str]

_FIRST_LINE = "$ProgressPreference = 'SilentlyContinue'"
_COMMAND_LINE = re.compile(r"^& (?P<command>.+) 2>&1$")
_MARKER_LINE = re.compile(rf'^Write-Output "{remote.MARKER_PREFIX}_(?P<nonce>[0-9a-f]{{16}})_(?P<index>\d+)_\$LASTEXITCODE"$')
_TOKEN = re.compile(r"'((?:[^']|'')*)'|(\S+)")


_GROUP_INIT = [f"{remote.GROUP_FAILED} = $false", f"{remote.GROUP_STOP} = $false"]
_GROUP_START = f"if ({remote.GROUP_FAILED}) {{ {remote.GROUP_STOP} = $true }}"
_GROUPED_OPEN = re.compile(rf'^if \({re.escape(remote.GROUP_STOP)}\) {{ '
                           rf'Write-Output "{remote.MARKER_PREFIX}_(?P<nonce>[0-9a-f]{{16}})_(?P<index>\d+)_skipped" }} else {{$')
_GROUPED_CLOSE = f"if ($LASTEXITCODE -ne 0) {{ {remote.GROUP_FAILED} = $true }} }}"


def decode_batch(script: str) -> tuple[str, list[list[str]], list[int | None]]:
    """The nonce, the argv of each command of a batch and its dependent group (build_batch's ``groups``; None: a
    command that always runs); AssertionError when the script is not a batch."""
    lines = script.split("\n")
    assert lines[-1] == "", "a batch ends with a newline"
    lines = lines[:-1]
    assert lines[0] == _FIRST_LINE, lines[0]
    body = lines[1:]
    grouped = body[:2] == _GROUP_INIT
    if grouped:
        body = body[2:]
    nonces = set()
    argvs: list[list[str]] = []
    groups: list[int | None] = []
    group = 0
    position = 0
    while position < len(body):
        line = body[position]
        if grouped and line == _GROUP_START:
            group += 1
            position += 1
            continue
        opened = _GROUPED_OPEN.match(line) if grouped else None
        if opened:
            assert int(opened.group("index")) == len(argvs) and body[position + 3] == _GROUPED_CLOSE, body[position:position + 4]
            nonces.add(opened.group("nonce"))
            position += 1
        command, marker = _COMMAND_LINE.match(body[position]), _MARKER_LINE.match(body[position + 1])
        assert command, f"not a command line: {body[position]!r}"
        assert marker and int(marker.group("index")) == len(argvs), f"not marker {len(argvs)}: {body[position + 1]!r}"
        nonces.add(marker.group("nonce"))
        argvs.append([quoted.replace("''", "'") or bare for quoted, bare in _TOKEN.findall(command.group("command"))])
        groups.append(group if opened else None)
        position += 3 if opened else 2
    assert argvs, "a batch has at least one command"
    assert len(nonces) == 1, "one nonce per batch"
    return nonces.pop(), argvs, groups


def _options(tokens: list[str]) -> dict[str, str]:
    found = {}
    for token in tokens:
        name, sep, value = token.partition("=")
        assert sep and name not in found, f"unexpected netsh argument {token!r}"
        found[name] = value
    return found


@dataclasses.dataclass
class FakeHost:
    """State of one Windows host (what the engine reads and writes), and what happened to it."""

    os_build: int = samples.BUILD_2022
    ranges: dict[tuple[str, str], tuple[int, int]] = dataclasses.field(default_factory=lambda: {c: (49152, 16384) for c in ALL_COMBOS})
    # (start, end, administered) per (ip_version, protocol); kept sorted by start, like netsh prints them.
    exclusions: dict[tuple[str, str], list[tuple[int, int, bool]]] = dataclasses.field(default_factory=lambda: {c: [] for c in ALL_COMBOS})
    # A REG_DWORD as an int; another type as (type, data as reg prints it), e.g. ("REG_SZ", "65534").
    registry: dict[str, int | tuple[str, str]] = dataclasses.field(default_factory=dict)
    # Ranges of the persistent store that differ from the active one (the rest are the same in both stores).
    persistent_ranges: dict[tuple[str, str], tuple[int, int]] = dataclasses.field(default_factory=dict)
    # Administered exclusions added with store=active: in force until the next boot, not in the persistent store.
    active_only: set[tuple[tuple[str, str], int, int]] = dataclasses.field(default_factory=set)
    connections: list[tuple[str, str, str, str, str]] = dataclasses.field(default_factory=list)
    elevated: bool = True
    netstat_q: str = "yes"  # "yes", or a netstat without -q answering its usage text with exit code 1 ("usage-rc1") or 0
    winnat_running: bool = True
    dynamic_locale: str = "en-US"
    exclusion_locale: str = "en-US"
    # The boot identity (PrefetchParameters\BootId; None: the host has none) and the collection's marker key
    # (value name -> REG_SZ data; None: the key does not exist).
    boot_id: int | None = 7
    markers: dict[str, str] | None = None
    # faults
    refusals: list[tuple[str, int, str]] = dataclasses.field(default_factory=list)
    lie_about_writes: bool = False
    crash: tuple[int, int] | None = None           # (execution number from 1, commands that complete before it dies)
    stderr: tuple[int, str] | None = None          # (execution number from 1, text PowerShell writes to stderr)
    # record
    executions: list[list[str]] = dataclasses.field(default_factory=list)
    writes: list[str] = dataclasses.field(default_factory=list)

    # -- the engine's entry point -----------------------------------------------------------------------------------
    def execute(self, script: str) -> tuple[int, str, str]:
        nonce, argvs, groups = decode_batch(script)
        self.executions.append([" ".join(argv) for argv in argvs])
        number = len(self.executions)
        stdout = []
        failed_group: int | None = None
        for index, argv in enumerate(argvs):
            if self.crash and self.crash[0] == number and index == self.crash[1]:
                return 1, "".join(stdout), ""
            group = groups[index]
            if group is not None and failed_group is not None and group > failed_group:
                stdout.append(f"{remote.MARKER_PREFIX}_{nonce}_{index}_skipped\r\n")
                continue
            exit_code, text = self.run(argv)
            if group is not None and exit_code != 0 and failed_group is None:
                failed_group = group
            stdout.append(text + f"{remote.MARKER_PREFIX}_{nonce}_{index}_{exit_code}\r\n")
        stderr = self.stderr[1] if self.stderr and self.stderr[0] == number else ""
        return (1 if stderr else 0), "".join(stdout), stderr

    def reboot(self) -> None:
        """What the engine can see of a reboot: a new boot identity (registry values and markers stay)."""
        if self.boot_id is not None:
            self.boot_id += 1

    @property
    def commands_run(self) -> list[str]:
        return [line for execution in self.executions for line in execution]

    # -- native commands -------------------------------------------------------------------------------------------
    def run(self, argv: list[str]) -> Answer:
        line = " ".join(argv)
        for pattern, exit_code, text in self.refusals:
            if pattern in line:
                return exit_code, text
        program = argv[0].lower()
        if program == "netsh":
            return self._netsh(argv[1:])
        if program == "reg":
            return self._reg(argv[1:])
        if program == "netstat":
            assert argv[1:] in (["-ano"], ["-anoq"]), line
            if argv[1] == "-anoq" and self.netstat_q != "yes":
                # A netstat without -q prints its usage text; the exit code of an unknown switch is not documented.
                return (1 if self.netstat_q == "usage-rc1" else 0), samples.NETSTAT_USAGE
            return 0, samples.netstat_text(self.connections)
        if program == "whoami":
            assert argv[1:] == ["/groups", "/fo", "csv", "/nh"], line
            return 0, samples.whoami_groups_text(self.elevated)
        if program == "net":
            assert argv[2:] == ["winnat"] and argv[1] in ("stop", "start"), line
            return self._winnat(argv[1])
        if program == "wevtutil":
            assert argv[1:3] == ["qe", "System"] and argv[4:] == ["/f:xml", "/c:100", "/rd:true"], line
            return 0, ""     # no Tcpip event in the window
        if program == "tasklist":
            assert argv[1:] == ["/fo", "csv", "/nh"], line
            return 0, samples.TASKLIST_CSV_CAPTURE
        raise AssertionError(f"the fake host does not know {line!r}")

    def _write(self, line: str, apply: t.Callable[[], None], answer: str) -> Answer:
        if not self.lie_about_writes:
            apply()
            self.writes.append(line)
        return 0, answer

    def _netsh(self, args: list[str]) -> Answer:
        assert args[0] == "int" and args[1] in ("ipv4", "ipv6"), args
        if self.os_build < 6000:
            return 1, f"The following command was not found: {' '.join(args)}.\r\n"
        ip_version, verb, noun, rest = args[1], args[2], args[3], args[4:]
        if noun == "dynamicport" and verb == "show":
            assert len(rest) == 1 or rest[1:] == ["store=persistent"], rest
            combo = (ip_version, rest[0])
            start, count = self.persistent_ranges.get(combo, self.ranges[combo]) if len(rest) == 2 else self.ranges[combo]
            return 0, samples.dynamic_port_text(rest[0], start, count, self.dynamic_locale)
        if noun == "dynamicport" and verb == "set":
            return self._set_range(ip_version, rest[0], _options(rest[1:]), " ".join(args))
        if noun == "excludedportrange" and verb == "show":
            opts = _options(rest)
            assert list(opts) in (["protocol"], ["protocol", "store"]) and opts.get("store", "persistent") == "persistent", rest
            combo = (ip_version, opts["protocol"])
            rows = self.exclusions[combo]
            if "store" in opts:  # the persistent store holds the administered rows added with store=persistent [INF]
                rows = [r for r in rows if r[2] and (combo, r[0], r[1]) not in self.active_only]
            return 0, samples.exclusion_table_text(opts["protocol"], rows, self.exclusion_locale)
        if noun == "excludedportrange" and verb in ("add", "delete"):
            opts = _options(rest)
            assert list(opts) == ["protocol", "startport", "numberofports", "store"], rest
            combo = (ip_version, opts["protocol"])
            start, count = int(opts["startport"]), int(opts["numberofports"])
            if not self.elevated:
                return 1, samples.NETSH_ELEVATION
            if verb == "add":
                return self._add_exclusion(combo, start, start + count - 1, " ".join(args), opts["store"])
            return self._delete_exclusion(combo, start, start + count - 1, " ".join(args))
        raise AssertionError(f"the fake host does not know netsh {' '.join(args)}")

    def _set_range(self, ip_version: str, protocol: str, opts: dict[str, str], line: str) -> Answer:
        assert list(opts) == ["start", "num", "store"] and opts["store"] in ("active", "persistent"), opts
        if not self.elevated:
            return 1, samples.NETSH_ELEVATION
        start, count = int(opts["start"]), int(opts["num"])
        if start < 1025 or count < 255 or start + count > 65536:
            return 1, samples.NETSH_BAD_PARAMETER

        def apply() -> None:
            combo = (ip_version, protocol)
            if opts["store"] == "active":  # the persistent store keeps what it had
                self.persistent_ranges.setdefault(combo, self.ranges[combo])
            else:
                self.persistent_ranges.pop(combo, None)
            self.ranges[combo] = (start, count)
            if self.persistent_ranges.get(combo) == (start, count):
                del self.persistent_ranges[combo]
        return self._write("netsh " + line, apply, samples.OK)

    def _add_exclusion(self, combo: tuple[str, str], start: int, end: int, line: str, store: str) -> Answer:  # pylint: disable=too-many-arguments
        rows = self.exclusions[combo]
        in_use = [port for port in self._local_ports(combo) if start <= port <= end]
        held = [row for row in rows if row[0] <= end and start <= row[1]]
        if in_use or held:
            return 1, samples.PORT_IN_USE

        def apply() -> None:
            rows.append((start, end, True))
            rows.sort()
            if store == "active":
                self.active_only.add((combo, start, end))
        return self._write("netsh " + line, apply, samples.OK)

    def _delete_exclusion(self, combo: tuple[str, str], start: int, end: int, line: str) -> Answer:
        rows = self.exclusions[combo]
        if (start, end, False) in rows:
            return 1, samples.ACCESS_DENIED
        if (start, end, True) not in rows:
            return 1, samples.ELEMENT_NOT_FOUND

        def apply() -> None:
            rows.remove((start, end, True))
            self.active_only.discard((combo, start, end))
        return self._write("netsh " + line, apply, samples.OK)

    def _local_ports(self, combo: tuple[str, str]) -> list[int]:
        ports = []
        for proto, local, _foreign, _state, _pid in self.connections:
            ip_version = "ipv6" if local.startswith("[") else "ipv4"
            if (ip_version, proto.lower()) == combo:
                ports.append(int(local.rsplit(":", 1)[1]))
        return ports

    def _winnat(self, action: str) -> Answer:
        """Stopping winnat removes every 100-port WinNAT reservation, in every table; starting it again does not re-create
        them (they come back at the next boot, or when HNS, Docker or WSL reserve again): opentelemetry-collector PR
        #10839's CI log, as the simulator models it (simulator/src/portscale_winsim/model/host.py ``start_winnat``)."""
        def stop() -> None:
            self.winnat_running = False
            for rows in self.exclusions.values():
                rows[:] = [r for r in rows if r[2] or r[1] - r[0] + 1 < WINNAT_BLOCK]

        def start() -> None:
            self.winnat_running = True

        verb = "stopped" if action == "stop" else "started"
        text = f"The Windows NAT Driver service was {verb} successfully.\r\n\r\n"  # [INF]
        return self._write(f"net {action} winnat", stop if action == "stop" else start, text)

    def _reg_row(self, name: str) -> tuple[str, str, str]:
        value = self.registry[name]
        return (name, "REG_DWORD", hex(value)) if isinstance(value, int) else (name, value[0], value[1])

    def _reg(self, args: list[str]) -> Answer:  # pylint: disable=too-many-return-statements
        if args == ["query", OS_VERSION_KEY, "/v", "CurrentBuildNumber"]:
            return 0, samples.os_build_text(self.os_build)
        if args == ["query", BOOT_ID_KEY, "/v", "BootId"]:
            if self.boot_id is None:
                return 1, samples.REG_NOT_FOUND
            return 0, samples.reg_query_text(samples.BOOT_ID_KEY_LONG, [("BootId", "REG_DWORD", hex(self.boot_id))])
        if args[1:2] == [MARKER_KEY]:
            return self._marker(args)
        if args == ["query", TCPIP_KEY]:
            values = [("NV Hostname", "REG_SZ", "WEB01"), ("Hostname", "REG_SZ", "WEB01"), ("EnableICMPRedirect", "REG_DWORD", "0x1")]
            values += [self._reg_row(name) for name in sorted(self.registry)]
            return 0, samples.reg_query_text(samples.TCPIP_KEY_LONG, values, ("Adapters", "Interfaces", "Winsock"))
        if args[:3] == ["query", TCPIP_KEY, "/v"] and len(args) == 4:
            if args[3] not in self.registry:
                return 1, samples.REG_NOT_FOUND
            return 0, samples.reg_query_text(samples.TCPIP_KEY_LONG, [self._reg_row(args[3])])
        assert args[1] == TCPIP_KEY and args[2] == "/v" and args[-1] == "/f", args
        name = args[3]
        if not self.elevated:
            return 1, samples.REG_ACCESS_DENIED
        if args[0] == "add":
            assert args[4:8] == ["/t", "REG_DWORD", "/d", args[7]] and len(args) == 9, args
            value = int(args[7])
            return self._write("reg " + " ".join(args), lambda: self.registry.__setitem__(name, value), samples.REG_OK)
        assert args[0] == "delete" and len(args) == 5, args
        if name not in self.registry:
            return 1, samples.REG_NOT_FOUND
        return self._write("reg " + " ".join(args), lambda: self.registry.pop(name), samples.REG_OK)

    def _marker(self, args: list[str]) -> Answer:
        """The collection's own key: query, and add of a REG_SZ marker (created with the key when missing)."""
        name = args[3]
        assert args[2] == "/v" and name in ("MaxUserPort", "TcpTimedWaitDelay"), args
        if args[0] == "query":
            assert len(args) == 4, args
            if self.markers is None or name not in self.markers:
                return 1, samples.REG_NOT_FOUND
            return 0, samples.reg_query_text(samples.MARKER_KEY_LONG, [(name, "REG_SZ", self.markers[name])])
        assert args[0] == "add" and args[4:7] == ["/t", "REG_SZ", "/d"] and args[8:] == ["/f"], args
        if not self.elevated:
            return 1, samples.REG_ACCESS_DENIED

        def apply() -> None:
            self.markers = {**(self.markers or {}), name: args[7]}
        return self._write("reg " + " ".join(args), apply, samples.REG_OK)


class FakeConnection:
    """The parts of a connection plugin ``ActionBase._low_level_execute_command`` uses, in front of a FakeHost.

    Like ansible-core's winrm connection on every core, it takes ``cmd`` as a PowerShell script and encodes it into
    the command line itself; a ready ``PowerShell ... -EncodedCommand`` line would be encoded a second time before
    2.19 (test_delivery.py runs each core's real connection plugins). It answers UTF-8 bytes (code page 65001).
    """

    transport = "winrm"
    allow_executable = False
    become = None

    def __init__(self, host: FakeHost, shell: t.Any, error: Exception | None = None) -> None:
        self.host = host
        self._shell = shell
        self.error = error
        self.command_lines: list[str] = []

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        self.command_lines.append(cmd)
        if self.error is not None:
            raise self.error
        assert " -EncodedCommand " not in cmd, f"winrm gets the script itself, not a command line: {cmd[:80]!r}"
        assert len(encode_powershell(cmd)) <= CMD_LINE_LIMIT, "cmd.exe would refuse this line"
        script = cmd
        if in_data is not None:
            # Only the fixed loader reads stdin, and it runs what stdin holds.
            assert script == STDIN_LOADER, f"stdin sent with a script that does not read it: {script[:80]!r}"
            script = in_data.decode("ascii")
        rc, stdout, stderr = self.host.execute(script)
        return rc, stdout.encode("utf-8"), stderr.encode("utf-8")


def run_action(name: str, args: dict[str, t.Any], host: FakeHost | None, check_mode: bool = False, diff: bool = False,  # pylint: disable=too-many-arguments
               error: Exception | None = None, async_val: int = 0, connection: t.Any = None,
               task_vars: dict[str, t.Any] | None = None, any_errors_fatal: bool = False) -> tuple[dict[str, t.Any], t.Any]:
    """Run portscale.tcpip.<name>'s action plugin with a real Task, PlayContext, loader and templar.

    Returns the result and the connection (its ``command_lines`` are the command executions that reached it). The
    connection is a FakeConnection in front of ``host``, unless one is given (core_connections.py).
    """
    task = Task()
    task.action = f"portscale.tcpip.{name}"
    task.args = dict(args)
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = async_val
    task.any_errors_fatal = any_errors_fatal
    if connection is None:
        connection = FakeConnection(host, plugin_loader.shell_loader.get("powershell"), error)
    loader = DataLoader()
    module = importlib.import_module(f"ansible_collections.portscale.tcpip.plugins.action.{name}")
    plugin = module.ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), plugin_loader)
    plugin._load_name = task.action  # pylint: disable=protected-access  # the plugin loader sets it (2.16 has no default)
    return plugin.run(task_vars=dict(task_vars or {})), connection

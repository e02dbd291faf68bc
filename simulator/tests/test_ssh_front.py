# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SSH front end through the real OpenSSH client and ansible-playbook, on the same host model as WinRM."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time

import asyncssh
import pytest
import winrm

from portscale_winsim.__main__ import _build_parser, _options
from portscale_winsim.fleet import FleetError, HostSpec, parse_host_spec, start_fleet
from portscale_winsim.sshfront import SshLimits
from portscale_winsim.sshfront.exec_line import split_exec_command

SSH = "/usr/bin/ssh"
SFTP = "/usr/bin/sftp"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
DYNAMICPORT_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                   b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")
PS_PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "

pytestmark = pytest.mark.skipif(not os.access(SSH, os.X_OK), reason="needs the OpenSSH client")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    specs = [HostSpec("ssh1"), HostSpec("ssh2"), HostSpec("boot1"), HostSpec("winrm1", ssh=False)]
    with start_fleet(str(tmp_path_factory.mktemp("ssh")), count=0, hosts=specs, ssh=True, boot_seconds=1.0,
                     reboot_grace=0.3) as handle:
        yield handle


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    """A host with small limits, for the bounds."""
    limits = SshLimits(max_sessions=3, max_sessions_per_connection=2, exec_timeout=1.0, idle_timeout=0.5)
    with start_fleet(str(tmp_path_factory.mktemp("tight")), count=1, ssh=True, ssh_limits=limits) as handle:
        yield handle


def ssh_files(fleet) -> tuple[str, str]:
    folder = os.path.join(fleet.state_dir, "ssh")
    return os.path.join(folder, "client_ed25519"), os.path.join(folder, "known_hosts")


def ssh(fleet, name: str, *command: str, key: str | None = None, known_hosts: str | None = None, user: str | None = None,
        program: str = SSH, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """The real OpenSSH client, host key validated against the fleet's known_hosts, no user config."""
    client_key, fleet_known_hosts = ssh_files(fleet)
    port_option = "-P" if program == SFTP else "-p"
    argv = [program, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known_hosts or fleet_known_hosts}",
            "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "-i", key or client_key,
            port_option, str(fleet.host(name).ssh_port), *options, f"{user or fleet.user}@127.0.0.1", *command]
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)


def encoded(script: str) -> str:
    return PS_PREFIX + base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def winrm_session(fleet, name: str) -> winrm.Session:
    info = fleet.host(name)
    return winrm.Session(info.endpoint, auth=(fleet.user, fleet.password), transport=info.transport)


def can_connect(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as sock:
        sock.settimeout(1)
        try:
            sock.connect((address, port))
        except OSError:
            return False
    return True


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# ----- commands -------------------------------------------------------------------------------------------------
def test_openssh_client_output_is_byte_exact(fleet):
    done = ssh(fleet, "ssh1", "netsh int ipv4 show dynamicport tcp")
    assert (done.stdout, done.stderr, done.returncode) == (DYNAMICPORT_TCP, b"", 0)


def test_powershell_encoded_command(fleet):
    script = "$ProgressPreference = 'SilentlyContinue'\r\n& netsh int ipv4 show dynamicport tcp\r\nWrite-Output \"rc=$LASTEXITCODE\"\r\nexit 3\r\n"
    done = ssh(fleet, "ssh1", encoded(script))
    assert (done.stdout, done.stderr, done.returncode) == (DYNAMICPORT_TCP + b"rc=0\r\n", b"", 3)


def test_exit_codes_and_stderr(fleet):
    done = ssh(fleet, "ssh1", r"reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v NoSuchValue")
    assert (done.stdout, done.stderr, done.returncode) == (
        b"", b"ERROR: The system was unable to find the specified registry key or value.\r\n", 1)
    done = ssh(fleet, "ssh1", "frobnicate", "now")
    assert done.returncode == 1
    assert done.stderr == b"'frobnicate' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
    # SSH carries the exit status, OpenSSH reports its low 8 bits (as it does against a real Windows host).
    assert ssh(fleet, "ssh1", encoded("exit 1190")).returncode == 1190 & 0xFF


def test_cmd_line_length_limit(fleet):
    assert ssh(fleet, "ssh1", "hostname" + " " * (8191 - len("hostname"))).stdout == b"ssh1\r\n"
    done = ssh(fleet, "ssh1", "hostname" + " " * (8192 - len("hostname")))
    assert (done.stdout, done.stderr, done.returncode) == (b"", b"The command line is too long.\r\n", 1)


def test_exec_string_split():
    assert split_exec_command('  "C:\\Program Files\\x.exe" -a  "b c" ') == ('"C:\\Program Files\\x.exe"', '-a  "b c" ')
    assert split_exec_command("netsh") == ("netsh", "")
    assert split_exec_command(" \t") == ("", "")


def test_a_write_over_ssh_is_seen_over_winrm(fleet):
    done = ssh(fleet, "ssh2", "netsh int ipv4 set dynamicport tcp start=10000 num=20000")
    assert (done.stdout, done.returncode) == (b"Ok.\r\n\r\n", 0)
    result = winrm_session(fleet, "ssh2").run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])
    assert b"Start Port      : 10000\r\nNumber of Ports : 20000\r\n" in result.std_out
    with open(os.path.join(fleet.state_dir, "hosts", "ssh2.json"), encoding="utf-8") as handle:
        assert "20000" in handle.read()
    counters = fleet.control.one("ssh2", "counters")
    assert counters["model"]["writes"] >= 1 and counters["ssh"]["commands"] >= 1


def test_counters_keep_their_keys_and_add_ssh(fleet):
    fleet.control.call("ssh1", "reset-counters")
    assert ssh(fleet, "ssh1", "hostname").returncode == 0
    counters = fleet.control.call("all", "counters")
    assert set(counters["ssh1"]) == {"http", "model", "shells", "ssh"}
    assert set(counters["winrm1"]) == {"http", "model", "shells"}
    assert fleet.host("winrm1").ssh_port is None
    ssh_counters = counters["ssh1"]["ssh"]
    assert (ssh_counters["connections"], ssh_counters["sessions"], ssh_counters["commands"]) == (1, 1, 1)
    assert counters["ssh1"]["model"]["commands_run"] == 1
    assert counters["ssh1"]["http"]["http_requests"] == 0


# ----- what is refused ------------------------------------------------------------------------------------------
def test_shell_sftp_pty_and_forwarding_are_refused(fleet):
    fleet.control.call("ssh1", "reset-counters")
    done = ssh(fleet, "ssh1")
    assert done.returncode == 1 and b"SIMULATOR-UNSUPPORTED: interactive shells are not modelled" in done.stderr
    done = ssh(fleet, "ssh1", program=SFTP, options=("-b", "/dev/null"))
    assert done.returncode != 0 and b"subsystem request failed" in done.stderr
    done = ssh(fleet, "ssh1", options=("-W", "127.0.0.1:9"))
    assert done.returncode != 0 and b"administratively prohibited: port forwarding is not modelled" in done.stderr
    done = ssh(fleet, "ssh1", "hostname", options=("-tt",))
    assert done.returncode == 255 and b"PTY allocation request failed" in done.stderr
    refused = fleet.control.one("ssh1", "counters")["ssh"]["refused"]
    assert refused == {"port-forward": 1, "pty": 1, "shell": 1, "subsystem": 1}


def test_unknown_host_key_is_refused(fleet, tmp_path):
    other = tmp_path / "known_hosts"
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    other.write_text(f"[127.0.0.1]:{fleet.host('ssh1').ssh_port} {key[0]} {key[1]}\n", encoding="ascii")
    done = ssh(fleet, "ssh1", "hostname", known_hosts=str(other))
    assert done.returncode == 255 and b"Host key verification failed." in done.stderr
    other.write_text("", encoding="ascii")
    done = ssh(fleet, "ssh1", "hostname", known_hosts=str(other))
    assert done.returncode == 255 and b"Host key verification failed." in done.stderr


def test_wrong_client_key_or_user_is_refused(fleet, tmp_path):
    fleet.control.call("ssh1", "reset-counters")
    wrong = tmp_path / "wrong_key"
    wrong.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh"))
    wrong.chmod(0o600)
    done = ssh(fleet, "ssh1", "hostname", key=str(wrong))
    assert done.returncode == 255 and b"Permission denied (publickey)" in done.stderr
    done = ssh(fleet, "ssh1", "hostname", user="someoneelse")
    assert done.returncode == 255 and b"Permission denied (publickey)" in done.stderr
    assert ssh(fleet, "ssh1", "hostname", user=fleet.user.upper()).returncode == 0  # Windows names ignore case
    assert fleet.control.one("ssh1", "counters")["ssh"]["auth_failures"] >= 2


def test_listens_on_127_0_0_1_only(fleet):
    ports = [fleet.host(name).ssh_port for name in ("ssh1", "ssh2", "boot1")]
    for port in ports:
        assert can_connect("127.0.0.1", port)
        assert not can_connect("127.0.0.2", port)
        assert not can_connect("::1", port)
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for row in handle.read().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.rsplit(":", 1)
                if state == "0A" and int(port, 16) in ports:
                    listening.add((address, int(port, 16)))
    assert listening == {("0100007F", port) for port in ports}


def test_refused_fault_closes_ssh_too(fleet):
    port = fleet.host("ssh1").ssh_port
    fleet.control.call("ssh1", "fault", kind="refused")
    try:
        assert not can_connect("127.0.0.1", port)
        done = ssh(fleet, "ssh1", "hostname")
        assert done.returncode == 255 and b"Connection refused" in done.stderr
    finally:
        fleet.control.call("ssh1", "clear-faults")
    assert ssh(fleet, "ssh1", "hostname").stdout == b"ssh1\r\n"


def test_reboot_cuts_connections_and_refuses_while_booting(fleet):
    port = fleet.host("boot1").ssh_port
    client_key, known_hosts = ssh_files(fleet)
    boots = fleet.control.one("boot1", "state")["model"]["boot_count"]

    async def scenario() -> None:
        async with asyncssh.connect("127.0.0.1", port, username=fleet.user, client_keys=[client_key], known_hosts=known_hosts,
                                    config=None) as conn:
            result = await conn.run("shutdown /r /t 0")
            assert result.exit_status == 0
            # The host goes down after the reboot grace: the open connection (a ControlMaster, say) is cut.
            await asyncio.wait_for(conn.wait_closed(), timeout=10)

    asyncio.run(scenario())
    assert not can_connect("127.0.0.1", port)  # booting (boot_seconds=1.0)
    assert wait_for(lambda: can_connect("127.0.0.1", port))
    assert fleet.control.one("boot1", "state")["model"]["boot_count"] == boots + 1
    assert ssh(fleet, "boot1", "hostname").returncode == 0


# ----- bounds ---------------------------------------------------------------------------------------------------
def _tight_connect(tight):
    client_key, known_hosts = ssh_files(tight)
    return asyncssh.connect("127.0.0.1", tight.host("win001").ssh_port, username=tight.user, client_keys=[client_key],
                            known_hosts=known_hosts, config=None, encoding=None)


def test_session_limits_and_exec_timeout(tight):
    tight.control.call("win001", "fault", kind="slow-command", ms=600)

    async def scenario() -> None:
        async with _tight_connect(tight) as first, _tight_connect(tight) as second:
            running = [asyncio.ensure_future(first.run("hostname")) for dummy in range(2)]
            await asyncio.sleep(0.1)
            with pytest.raises(asyncssh.ChannelOpenError):  # per connection (sshd's MaxSessions)
                await first.run("hostname")
            running.append(asyncio.ensure_future(second.run("hostname")))
            await asyncio.sleep(0.1)
            with pytest.raises(asyncssh.ChannelOpenError):  # per host
                await second.run("hostname")
            results = await asyncio.gather(*running)
            assert [r.stdout for r in results] == [b"win001\r\n"] * 3
        tight.control.call("win001", "fault", kind="slow-command", ms=2000)
        async with _tight_connect(tight) as conn:
            result = await conn.run("hostname")
            assert (result.exit_status, result.stderr) == (1, b"SIMULATOR-TIMEOUT: the command did not finish within 1 s\r\n")

    try:
        asyncio.run(scenario())
    finally:
        tight.control.call("win001", "clear-faults")
    assert tight.control.one("win001", "counters")["ssh"]["refused"]["too-many-sessions"] == 2


def test_idle_connection_is_closed(tight):
    async def scenario() -> float:
        async with _tight_connect(tight) as conn:
            started = time.monotonic()
            await asyncio.wait_for(conn.wait_closed(), timeout=5)
            return time.monotonic() - started

    assert 0.3 < asyncio.run(scenario()) < 3


# ----- fleet files, CLI and Ansible -----------------------------------------------------------------------------
def test_keys_ports_and_known_hosts_persist_across_restarts(tmp_path):
    state = str(tmp_path / "state")
    with start_fleet(state, count=2, ssh=True) as handle:
        first_ports = {h.name: h.ssh_port for h in handle.hosts}
        with open(os.path.join(state, "ssh", "known_hosts"), encoding="ascii") as f:
            first_known = f.read()
    with start_fleet(state, count=2, ssh=True) as handle:
        assert {h.name: h.ssh_port for h in handle.hosts} == first_ports
        with open(os.path.join(state, "ssh", "known_hosts"), encoding="ascii") as f:
            assert f.read() == first_known
        assert ssh(handle, "win002", "hostname").stdout == b"win002\r\n"
        with open(os.path.join(state, "ports.json"), encoding="utf-8") as f:
            assert json.load(f)["win001:ssh"] == first_ports["win001"]
    assert len(first_known.splitlines()) == 2 and first_known.startswith(f"[127.0.0.1]:{first_ports['win001']} ssh-ed25519 ")
    for name in ("host_ed25519", "client_ed25519", "client_ed25519.pub", "known_hosts"):
        assert os.stat(os.path.join(state, "ssh", name)).st_mode & 0o777 == 0o600
    assert all(20000 <= port <= 32767 for port in first_ports.values())


def test_cli_options():
    options = _options(_build_parser().parse_args(["start", "--state-dir", "/nonexistent", "--ssh"]))
    assert options.ssh is True
    assert parse_host_spec("gw1:server2022:ssh=true").ssh is True
    assert parse_host_spec("gw1:server2022").ssh is None
    assert parse_host_spec("gw1:server2022").ssh_shell == "cmd"
    assert parse_host_spec("gw1:server2022:ssh=true:ssh_shell=powershell").ssh_shell == "powershell"
    with pytest.raises(FleetError, match="ssh_shell must be one of cmd, powershell"):
        parse_host_spec("gw1:server2022:ssh_shell=bash")


def ansible_raw(fleet, tmp_path, command: str, hosts: str = "ssh1", extra_env: dict | None = None) -> subprocess.CompletedProcess:
    playbook = tmp_path / "play.yml"
    playbook.write_text(f"- hosts: {hosts}\n  gather_facts: false\n  tasks:\n"
                        f"    - ansible.builtin.raw: {json.dumps(command)}\n      changed_when: false\n", encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree", ANSIBLE_CALLBACK_TREE_DIR=str(tmp_path / "tree"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp_path / "cp"),
               **(extra_env or {}))
    return subprocess.run([ANSIBLE_PLAYBOOK, "-i", os.path.join(fleet.state_dir, "inventory.ssh.yml"), str(playbook)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_ansible_raw_over_inventory_ssh(fleet, tmp_path):
    fleet.control.call("all", "reset-counters")
    done = ansible_raw(fleet, tmp_path, "netsh int ipv4 show dynamicport tcp", hosts="ssh1:boot1")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("ssh1", "boot1"):
        result = json.loads((tmp_path / "tree" / name).read_text(encoding="utf-8"))
        assert (result["rc"], result["stdout"], result["stderr"]) == (0, DYNAMICPORT_TCP.decode(), ""), name
        counters = fleet.control.one(name, "counters")
        assert counters["ssh"]["commands"] == 1 and counters["model"]["commands_run"] == 1
        assert counters["http"]["http_requests"] == 0
    with open(os.path.join(fleet.state_dir, "inventory.ssh.yml"), encoding="utf-8") as handle:
        inventory = handle.read()
    assert "winrm1" not in inventory and "StrictHostKeyChecking=yes" in inventory


def test_ansible_keeps_host_key_checking_on_even_if_the_environment_turns_it_off(fleet, tmp_path):
    dummy_key, known_hosts = ssh_files(fleet)
    with open(known_hosts, encoding="ascii") as handle:
        saved = handle.read()
    lines = [line for line in saved.splitlines() if not line.startswith(f"[127.0.0.1]:{fleet.host('ssh2').ssh_port} ")]
    with open(known_hosts, "w", encoding="ascii") as handle:
        handle.write("".join(line + "\n" for line in lines))
    try:
        done = ansible_raw(fleet, tmp_path, "hostname", hosts="ssh2", extra_env={"ANSIBLE_HOST_KEY_CHECKING": "False"})
    finally:
        with open(known_hosts, "w", encoding="ascii") as handle:
            handle.write(saved)
    assert done.returncode == 4, done.stdout + done.stderr  # unreachable
    assert "Host key verification failed" in done.stdout + done.stderr


def test_powershell_as_default_shell_runs_what_ansible_2_16_sends(fleet):
    # ansible-core 2.16-2.17 send ``chcp.com 65001 > $null ; <the line encoded once more>`` (PowerShell syntax): it needs
    # sshd's DefaultShell set to PowerShell, which starts ``powershell.exe -c <exec string>`` without cmd.exe.
    script = "& netsh int ipv4 show dynamicport tcp 2>&1\nWrite-Output \"rc=$LASTEXITCODE\"\n"
    exec_string = "chcp.com 65001 > $null ; " + encoded(encoded(script))
    front = fleet.fleet.ssh["ssh2"]
    assert front.default_shell == "cmd"
    refused = ssh(fleet, "ssh2", exec_string)
    assert refused.returncode == 1 and b"SIMULATOR-UNSUPPORTED: cmd.exe" in refused.stderr
    front.default_shell = "powershell"
    try:
        done = ssh(fleet, "ssh2", exec_string)
        long_line = encoded("Write-Output 'x'\n" + "# padding\n" * 400)  # past cmd.exe's 8191 characters
        long_done = ssh(fleet, "ssh2", long_line)
    finally:
        front.default_shell = "cmd"
    assert (done.stderr, done.returncode) == (b"", 0)  # an earlier test may have changed ssh2's range
    assert done.stdout.startswith(b"\r\nProtocol tcp Dynamic Port Range\r\n") and done.stdout.endswith(b"\r\nrc=0\r\n")
    assert (long_done.stdout, long_done.returncode) == (b"x\r\n", 0)

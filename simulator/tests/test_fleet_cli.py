# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``portscale-winsim start --daemon | ctl | status | stop`` as a user runs them, with the real host model."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import winrm

import portscale_winsim
from portscale_winsim.fleet import FleetError, parse_host_spec, read_fleet_file

# The folder that holds the imported package (site-packages, or simulator/src of an editable install or a checkout),
# first on the subprocesses' path so they run the same code as this test.
SRC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(portscale_winsim.__file__)))
ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
DYNAMICPORT_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                   b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")


def sim(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=SRC_DIR)
    result = subprocess.run([sys.executable, "-m", "portscale_winsim", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"simulator {args} failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    return result


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def wait_until(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def daemon(tmp_path):
    state = str(tmp_path / "state")
    sim("start", "--state-dir", state, "--count", "2", "--host", "legacy1:server2003:elevated=false", "--auth", "both",
        "--boot-seconds", "0.5", "--daemon", "--ready-timeout", "30")
    yield state
    info = read_fleet_file(state)
    sim("stop", "--state-dir", state, check=False)
    if info:
        assert wait_until(lambda: not pid_alive(info["pid"]), 5)


def test_daemon_writes_fleet_files_and_inventories(daemon):
    info = read_fleet_file(daemon)
    assert pid_alive(info["pid"])
    assert [h["name"] for h in info["hosts"]] == ["legacy1", "win001", "win002"]
    assert all(h["port"] < 32768 and h["scheme"] == "http" and h["auth"] == ["basic", "ntlm"] for h in info["hosts"])
    for name in ("legacy1", "win001", "win002"):
        assert os.path.exists(os.path.join(daemon, "hosts", f"{name}.json"))
    for name in ("password", "ntlm-users", "control.token", "inventory.winrm", "inventory.yml"):
        assert os.stat(os.path.join(daemon, name)).st_mode & 0o077 == 0, name
    with open(os.path.join(daemon, "password"), encoding="utf-8") as handle:
        password = handle.read().strip()
    with open(os.path.join(daemon, "simulator.log"), encoding="utf-8") as handle:
        assert password not in handle.read()
    for inventory in ("inventory.yml", "inventory.winrm"):
        listed = subprocess.run([ANSIBLE_INVENTORY, "-i", os.path.join(daemon, inventory), "--list"], capture_output=True, text=True,
                                timeout=60, check=True)
        hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
        assert hostvars["win001"]["ansible_port"] == info["hosts"][1]["port"]
        assert hostvars["win001"]["ansible_winrm_transport"] == "ntlm"
        assert hostvars["win001"]["ansible_password"] == password


def test_daemon_serves_winrm_and_ctl(daemon):
    info = read_fleet_file(daemon)
    with open(os.path.join(daemon, "password"), encoding="utf-8") as handle:
        password = handle.read().strip()
    port = info["hosts"][1]["port"]
    result = winrm.Session(f"http://127.0.0.1:{port}/wsman", auth=("simadmin", password), transport="ntlm",
                           ca_trust_path=None).run_cmd(
        "netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])
    assert (result.std_out, result.status_code) == (DYNAMICPORT_TCP, 0)
    counters = json.loads(sim("ctl", "--state-dir", daemon, "win001", "counters").stdout)["win001"]
    assert counters["http"]["requests_by_action"] == {"Command": 1, "Create": 1, "Delete": 1, "Receive": 1, "Signal": 1}
    assert counters["model"]["commands_run"] == 1
    status = sim("status", "--state-dir", daemon).stdout
    assert "win001: listening" in status

    sim("ctl", "--state-dir", daemon, "all", "fault", "refused")
    assert all(refused(h["port"]) for h in info["hosts"])
    sim("ctl", "--state-dir", daemon, "all", "clear-faults")
    assert not refused(port)

    boots = json.loads(sim("ctl", "--state-dir", daemon, "win002", "state").stdout)["win002"]["model"]["boot_count"]
    sim("ctl", "--state-dir", daemon, "win002", "reboot")
    assert wait_until(lambda: refused(info["hosts"][2]["port"]))
    assert wait_until(lambda: not refused(info["hosts"][2]["port"]))
    with open(os.path.join(daemon, "hosts", "win002.json"), encoding="utf-8") as handle:
        assert json.load(handle)["boot_count"] == boots + 1

    bad = sim("ctl", "--state-dir", daemon, "win001", "fault", "meteor", check=False)
    assert bad.returncode == 2 and "unknown fault kind" in bad.stderr


def test_stop_leaves_no_process_or_temp_files_and_restart_reuses_state(daemon):
    info = read_fleet_file(daemon)
    sim("ctl", "--state-dir", daemon, "win001", "elevate", "off")
    sim("stop", "--state-dir", daemon)
    assert not pid_alive(info["pid"])
    assert not os.path.exists(os.path.join(daemon, "fleet.json"))
    assert not os.path.exists(os.path.join(daemon, "control.token"))
    leftovers = [n for dummy_root, dummy_dirs, files in os.walk(daemon) for n in files if n.endswith(".tmp")]
    assert not leftovers
    with open(os.path.join(daemon, "hosts", "win001.json"), encoding="utf-8") as handle:
        assert json.load(handle)["elevated"] is False
    sim("start", "--state-dir", daemon, "--count", "2", "--host", "legacy1:server2003:elevated=false", "--auth", "both",
        "--daemon", "--ready-timeout", "30")
    again = read_fleet_file(daemon)
    assert [h["port"] for h in again["hosts"]] == [h["port"] for h in info["hosts"]]
    state = json.loads(sim("ctl", "--state-dir", daemon, "win001", "state").stdout)["win001"]["model"]
    assert state["elevated"] is False
    second = sim("start", "--state-dir", daemon, "--daemon", check=False)
    assert second.returncode == 2 and "already runs" in second.stderr


def test_watchdog_stops_a_forgotten_simulator(tmp_path):
    state = str(tmp_path / "state")
    sim("start", "--state-dir", state, "--max-lifetime", "1", "--daemon")
    pid = read_fleet_file(state)["pid"]
    assert wait_until(lambda: not pid_alive(pid), 10)
    assert not os.path.exists(os.path.join(state, "fleet.json"))


def test_foreground_run_stops_cleanly_on_sigint(tmp_path):
    state = str(tmp_path / "state")
    env = dict(os.environ, PYTHONPATH=SRC_DIR)
    with subprocess.Popen([sys.executable, "-m", "portscale_winsim", "start", "--state-dir", state], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert "win001: http://127.0.0.1:" in proc.stdout.readline() + proc.stdout.readline()
            port = read_fleet_file(state)["hosts"][0]["port"]
            assert not refused(port)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert refused(port)
    assert not os.path.exists(os.path.join(state, "fleet.json"))
    assert os.path.exists(os.path.join(state, "hosts", "win001.json"))


def test_host_option_hyperv_heavy_from_the_command_line(tmp_path):
    """``--host NAME:PROFILE:hyperv=heavy`` builds the heavy Hyper-V profile (many TCP blocks, UDP blocks too);
    hyperv=true the typical one. It used to be refused as not a boolean."""
    assert parse_host_spec("hv:win11:hyperv=heavy").hyperv == "heavy"
    assert parse_host_spec("hv:win11:hyperv=Heavy").hyperv == "heavy"
    assert parse_host_spec("hv:win11:hyperv=true").hyperv is True
    assert parse_host_spec("hv:win11:hyperv=off").hyperv is False
    with pytest.raises(FleetError, match="hyperv"):
        parse_host_spec("hv:win11:hyperv=lots")
    state = str(tmp_path / "state")
    sim("start", "--state-dir", state, "--host", "heavy1:win11:hyperv=heavy", "--host", "typical1:win11:hyperv=true",
        "--daemon", "--ready-timeout", "30")
    try:
        models = {}
        for name in ("heavy1", "typical1"):
            with open(os.path.join(state, "hosts", f"{name}.json"), encoding="utf-8") as handle:
                models[name] = json.load(handle)
    finally:
        pid = read_fleet_file(state)["pid"]
        sim("stop", "--state-dir", state)
        assert wait_until(lambda: not pid_alive(pid), 5)

    def blocks(model, protocol):
        return [e for e in model["exclusions"] if e["kind"] == "winnat" and e["ip_version"] == 4 and e["protocol"] == protocol]
    assert models["heavy1"]["hyperv"] is True and models["heavy1"]["winnat_profile"] == "heavy"
    assert 14 <= len(blocks(models["heavy1"], "tcp")) <= 40 and blocks(models["heavy1"], "udp")
    assert models["typical1"]["winnat_profile"] == "typical" and not blocks(models["typical1"], "udp")
    assert 0 < len(blocks(models["typical1"], "tcp")) < 14

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bounded log of what each host received (command_log.py): shell and natives record, control reads, never saved."""

from __future__ import annotations

import base64
import http.client
import json
import os

import winrm

from portscale_winsim.command_log import MAX_TEXT, CommandLog
from portscale_winsim.fleet import HostSpec, start_fleet
from portscale_winsim.model import HostModel
from portscale_winsim.probe import PARAMS_VARIABLE, PROBE_HEADER
from portscale_winsim.shell import run_command_line, stdin_script

ENCODED = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand"
SHOW_TCP = ["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]


def run_ps(model: HostModel, script: str):
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    parts = f"{ENCODED} {encoded}".split(" ")
    return run_command_line(model, parts[0], " ".join(parts[1:]), b"", 65001)


def entries(model: HostModel) -> list[dict]:
    return model.command_log.snapshot()["entries"]


def test_cmd_line_and_its_argv():
    model = HostModel.create("log01")
    run_command_line(model, "netsh", "int ipv4 show dynamicport tcp", b"", 437)
    assert entries(model) == [{"seq": 1, "kind": "cmd", "line": "netsh int ipv4 show dynamicport tcp", "stdin": None, "script": None,
                               "natives": [SHOW_TCP], "truncated": False}]


def test_powershell_script_every_native_and_unknown_programs():
    model = HostModel.create("log02")
    script = "$ProgressPreference = 'SilentlyContinue'\n& netsh int ipv4 show dynamicport tcp 2>&1\n& calc.exe /x 2>&1\nWrite-Output done\n"
    run_ps(model, script)
    [entry] = entries(model)
    assert entry["kind"] == "powershell" and entry["line"].startswith(ENCODED + " ")
    assert entry["script"] == script
    # An unknown program is recorded too: a security test must see every attempt, not only what the simulator models.
    assert entry["natives"] == [SHOW_TCP, ["calc.exe", "/x"]]


def test_a_script_sent_on_stdin_is_recorded_with_the_loader_line():
    model = HostModel.create("log06")
    body = "$ProgressPreference = 'SilentlyContinue'\n& netstat -ano -p tcp 2>&1\n"
    encoded = base64.b64encode(stdin_script.STDIN_LOADER.encode("utf-16-le")).decode("ascii")
    run_command_line(model, "PowerShell", f"{ENCODED[len('PowerShell '):]} {encoded}", body.encode("ascii"), 65001)
    [entry] = entries(model)
    # The line holds the fixed loader, stdin the script as sent, script what ran (the loader's CRLF lines).
    assert entry["line"].endswith(encoded) and entry["stdin"] == body
    assert entry["script"] == body.replace("\n", "\r\n") and entry["natives"] == [["netstat", "-ano", "-p", "tcp"]]


def test_refused_script_is_recorded_without_natives():
    model = HostModel.create("log03")
    run_ps(model, "Remove-Item C:\\x; netsh int ipv4 show dynamicport tcp")
    [entry] = entries(model)
    # The subset interpreter refuses the whole script before any statement runs.
    assert entry["script"].startswith("Remove-Item") and entry["natives"] == []


def test_probe_script_is_recorded():
    model = HostModel.create("log04")
    script = f"{PROBE_HEADER}\n{PARAMS_VARIABLE} = '{{}}'\n"
    run_ps(model, script)
    [entry] = entries(model)
    assert entry["script"] == script and entry["natives"] == []


def test_bounded_and_counted():
    log = CommandLog(max_entries=3)
    for index in range(5):
        log.begin("cmd", f"line {index}")
        log.end()
    snapshot = log.snapshot()
    assert [e["line"] for e in snapshot["entries"]] == ["line 2", "line 3", "line 4"]
    assert (snapshot["recorded"], snapshot["kept"], snapshot["dropped"], snapshot["max_entries"]) == (5, 3, 2, 3)
    assert [e["seq"] for e in log.snapshot(since=4)["entries"]] == [5]
    log.begin("powershell", "x" * (MAX_TEXT + 10))
    log.script("y" * (MAX_TEXT + 1))
    log.end()
    last = log.snapshot()["entries"][-1]
    assert last["truncated"] and len(last["line"]) == MAX_TEXT and len(last["script"]) == MAX_TEXT
    log.native(["netsh", "x"])  # outside a command execution: an entry of its own
    assert log.snapshot()["entries"][-1]["kind"] == "native"
    log.clear()
    assert log.snapshot() == {"entries": [], "recorded": 0, "kept": 0, "dropped": 0, "max_entries": 3}


def test_not_part_of_the_saved_state(tmp_path):
    model = HostModel.create("log05")
    run_command_line(model, "netsh", "int ipv6 show dynamicport udp", b"", 437)
    assert "command_log" not in model.to_dict()
    path = str(tmp_path / "log05.json")
    model.save(path)
    with open(path, encoding="utf-8") as handle:
        assert "show dynamicport" not in handle.read()
    assert HostModel.load(path).command_log.snapshot()["recorded"] == 0


def _get(port: int, token: str, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


def test_control_operation_over_winrm(tmp_path):
    with start_fleet(str(tmp_path / "fleet"), count=0, hosts=[HostSpec("logntlm", auth="ntlm")]) as fleet:
        info = fleet.host("logntlm")
        session = winrm.Session(info.endpoint, auth=(fleet.user, fleet.password), transport="ntlm")
        session.run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])
        session.run_ps("netstat -ano -p tcp")
        received = fleet.control.one("logntlm", "commands")
        assert [e["kind"] for e in received["entries"]] == ["cmd", "powershell"]
        assert received["entries"][0]["natives"] == [SHOW_TCP]
        assert received["entries"][1]["natives"] == [["netstat", "-ano", "-p", "tcp"]]
        assert "netstat -ano -p tcp" in received["entries"][1]["script"]
        # Read-only, so also a GET (like counters and state); `since` skips what a reader has seen.
        got = _get(fleet.control.port, fleet.control.token, "/hosts/logntlm/commands")["hosts"]["logntlm"]
        assert got["recorded"] == 2
        assert [e["seq"] for e in fleet.control.one("logntlm", "commands", since=1)["entries"]] == [2]
        state_file = os.path.join(fleet.state_dir, "hosts", "logntlm.json")
        with open(state_file, encoding="utf-8") as handle:
            assert "netstat" not in handle.read()
        fleet.control.call("logntlm", "reset-counters")
        assert fleet.control.one("logntlm", "commands")["recorded"] == 0

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Tcpip exhaustion events (written by a load that runs out of ports, never by the probe) and wevtutil/tasklist."""

from __future__ import annotations

import json
import re
import time

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native
from portscale_winsim import probe
from portscale_winsim.natives.texts import markdown_table

QUERY = "/q:*[System[Provider[@Name='Tcpip'] and EventID={id} and TimeCreated[timediff(@SystemTime) <= {ms}]]]"
DAY_MS = 86_400_000


def wevtutil(model, event_id, ms=7 * DAY_MS, count=100):
    return run_native(model, ["wevtutil", "qe", "System", QUERY.format(id=event_id, ms=ms), "/f:xml", f"/c:{count}", "/rd:true"], 65001)


def ids(result):
    return [int(found) for found in re.findall(r">(\d+)</EventID>", result.stdout.decode())]


def test_a_load_that_exhausts_the_range_writes_4231_and_4227_busy_and_idle_do_not():
    for load in ("idle", "busy"):
        assert HostModel.create("h", load=load).tcpip_events == []
    model = HostModel.create("h", load="heavy")
    assert sorted(event.event_id for event in model.tcpip_events) == [4227, 4231]
    assert [event.record_id for event in model.tcpip_events] == [1, 2]
    model.set_load("idle")
    assert len(model.tcpip_events) == 2          # the log keeps what happened
    model.reboot()
    model.set_load("heavy")
    assert len(model.tcpip_events) == 4 and model.next_event_record == 5


def test_exhaustion_by_established_connections_alone_is_4231_only():
    model = HostModel.create("h", load={"apps": [{"pid": 900, "established": 20000, "image": "leak.exe"}]})
    assert [event.event_id for event in model.tcpip_events] == [4231]


def test_the_probe_never_writes_events_even_when_it_exhausts_the_range():
    model = HostModel.create("h", load="busy")
    params = {"schema": 1, "count": 100000, "timeout_ms": 600000, "target_host": "127.0.0.1", "target_port": 0,
              "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4}
    result = probe.run_probe(model, params)
    assert result["error"]["code"] == 10055          # the burst ran the range dry ...
    assert model.tcpip_events == []                  # ... and the log did not hear of it


def test_wevtutil_answers_the_window_newest_first_and_bounded():
    model = HostModel.create("h", load="idle")
    now = int(time.time() * 1000)
    for days_ago in (10, 3, 2, 1):
        model.log_tcpip_event(4231, now - days_ago * DAY_MS)
    model.log_tcpip_event(4227, now - DAY_MS)
    result = wevtutil(model, 4231)
    assert result.exit_code == 0 and result.stderr == b"" and ids(result) == [4231, 4231, 4231]
    records = [int(r) for r in re.findall(r"<EventRecordID>(\d+)</EventRecordID>", result.stdout.decode())]
    assert records == sorted(records, reverse=True)
    assert ids(wevtutil(model, 4231, count=2)) == [4231, 4231]
    assert ids(wevtutil(model, 4231, ms=30 * DAY_MS)) == [4231] * 4
    assert wevtutil(model, 4227, ms=1000).stdout == b""
    text = wevtutil(model, 4227).stdout.decode()
    assert text.startswith("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Tcpip'/>")
    assert "<EventID Qualifiers='32768'>4227</EventID>" in text and text.endswith("</Event>\r\n")
    assert re.search(r"SystemTime='\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z'", text)


def test_a_filtered_token_cannot_read_the_system_log():
    result = wevtutil(HostModel.create("h", load="heavy", elevated=False), 4231)
    assert (result.stdout, result.stderr, result.exit_code) == (b"", b"Failed to read events. Access is denied.\r\n", 5)


def test_server_2003_has_no_wevtutil():
    assert wevtutil(HostModel.create("old", profile="server2003"), 4231) is None


@pytest.mark.parametrize("argv", [
    ["wevtutil", "qe", "System", "/f:xml"],
    ["wevtutil", "qe", "Application", QUERY.format(id=4231, ms=DAY_MS), "/f:xml", "/c:5", "/rd:true"],
    ["wevtutil", "qe", "System", QUERY.format(id=4231, ms=DAY_MS), "/f:text", "/c:5", "/rd:true"],
    ["wevtutil", "qe", "System", QUERY.format(id=4231, ms=DAY_MS), "/f:xml", "/c:5", "/rd:false"],
    ["wevtutil", "qe", "System", QUERY.format(id=7036, ms=DAY_MS), "/f:xml", "/c:5", "/rd:true"],
    ["wevtutil", "el"],
    ["tasklist"],
    ["tasklist", "/v", "/fo", "csv"],
])
def test_every_other_form_fails_loudly(argv):
    result = run_native(HostModel.create("h"), argv, 437)
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_tasklist_lists_system_processes_and_the_loads_applications():
    model = HostModel.create("h", load="heavy")
    text = run_native(model, ["tasklist", "/fo", "csv", "/nh"], 437).stdout.decode("cp437")
    lines = text.split("\r\n")
    assert lines[0] == '"System Idle Process","0","Services","0","8 K"' and lines[1] == '"System","4","Services","0","148 K"'
    assert text.endswith("\r\n") and '"w3wp.exe","3120","Services","0",' in text and '"node.exe","4188",' in text
    assert re.search(r'"lsass.exe","712","Services","0","21,436 K"', text)
    unnamed = HostModel.create("h", load={"apps": [{"pid": 777, "established": 5}]})
    assert '"app777.exe","777",' in run_native(unnamed, ["tasklist", "/FO", "CSV", "/NH"], 437).stdout.decode()


def test_tasklist_in_other_languages_only_where_a_sample_exists():
    assert run_native(HostModel.create("h", locale="zh-CN"), ["tasklist", "/fo", "csv", "/nh"], 936).exit_code == 0
    german = run_native(HostModel.create("h", locale="de-DE"), ["tasklist", "/fo", "csv", "/nh"], 850)
    assert german.exit_code == 1 and german.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_events_and_images_survive_the_state_file_and_old_state_files_still_load(tmp_path):
    model = HostModel.create("h", load="heavy")
    path = str(tmp_path / "h.json")
    model.save(path)
    again = HostModel.load(path)
    assert again.tcpip_events == model.tcpip_events and again.load_spec.apps[0].image == "w3wp.exe"
    data = json.loads(open(path, encoding="utf-8").read())
    del data["tcpip_events"], data["next_event_record"]
    for app in data["load_spec"]["apps"]:
        del app["image"]
    old = HostModel.from_dict(data)
    assert old.tcpip_events == [] and old.next_event_record == 1 and old.load_spec.apps[0].image is None


def test_the_provenance_table_lists_the_new_texts():
    table = markdown_table()
    for key in ("wevtutil.event", "wevtutil.access_denied", "tasklist.row"):
        assert f"`{key}`" in table
    assert "microsoft/AL#4468" in table and "wine-mirror/wine programs/tasklist/tests/tasklist.c" in table

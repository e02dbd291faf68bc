# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""wevtutil's event XML and tasklist's CSV, parsed by structure (issue 17), on the public captures in samples.py, and
the two commands as the read sends them."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParseError, parse_tasklist_csv, parse_wevtutil_events
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

UTC = datetime.timezone.utc


def test_the_tcpip_4227_capture_reads_as_structure():
    [event] = parse_wevtutil_events(samples.TCPIP_4227_EVENT_VIEWER_XML)
    assert (event.provider, event.event_id, event.record_id) == ("Tcpip", 4227, 14996)
    assert event.time_created == datetime.datetime(2019, 1, 16, 2, 1, 10, 611477, tzinfo=UTC)
    assert event.time_text == "2019-01-16T02:01:10Z"


def test_rendered_single_line_events_one_after_another():
    """The form wevtutil prints: EvtRender's single-quoted single line; several events with or without line breaks."""
    for separator in ("", "\r\n"):
        events = parse_wevtutil_events(samples.SCM_7036_RENDERED_XML + separator + samples.TCPIP_4227_EVENT_VIEWER_XML + separator)
        assert [(e.provider, e.event_id) for e in events] == [("Service Control Manager", 7036), ("Tcpip", 4227)]
        assert events[0].time_created == datetime.datetime(2024, 11, 8, 18, 51, 13, 504187, tzinfo=UTC)


def test_seven_fractional_digits_and_trailing_spaces():
    [event] = parse_wevtutil_events(samples.SPP_16384_XML_SAMPLE)
    assert event.event_id == 16384 and event.record_id == 23401 and event.time_text == "2022-04-22T10:20:52Z"


@pytest.mark.parametrize("text", ["", "\r\n", "\ufeff"])
def test_no_events_is_empty_output(text):
    assert parse_wevtutil_events(text) == []


@pytest.mark.parametrize("text, reason", [
    ("Failed to read events. Access is denied.\r\n", "not well-formed|text outside"),
    ('<!DOCTYPE x [<!ENTITY a "b">]>' + samples.SCM_7036_RENDERED_XML, "DOCTYPE"),
    (samples.SCM_7036_RENDERED_XML.replace("7036</EventID>", "x</EventID>"), "not a number"),
    (samples.SCM_7036_RENDERED_XML.replace("2024-11-08T18:51:13.504187700Z", "11/8/2024 6:51 PM"), "UTC ISO 8601"),
    (samples.SCM_7036_RENDERED_XML[:200], "not well-formed"),
    ("<Other/>", "unexpected element"),
])
def test_anything_else_is_refused(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_wevtutil_events(text)


def test_tasklist_capture_gives_names_by_pid_whatever_the_other_columns_say():
    names = parse_tasklist_csv(samples.TASKLIST_CSV_CAPTURE)
    assert names[0] == "System Idle Process" and names[4] == "System" and names[876] == "csrss.exe" and names[576] == "csrss.exe"
    assert len(names) == 10          # the header row has no numeric PID and is skipped
    verbose = parse_tasklist_csv(samples.TASKLIST_VERBOSE_CSV)
    assert verbose == {0: "System Idle Process", 4: "System", 392: "smss.exe"}


def test_localized_columns_and_crlf_do_not_matter():
    text = ('"System Idle Process","0","Services","0","8 K"\r\n"java.exe","2024","Console","1","512.000 K"\r\n'
            '"\u4efb\u52a1.exe","77","\u670d\u52a1","0","1\u00a0024 K"\r\n')
    assert parse_tasklist_csv(text) == {0: "System Idle Process", 2024: "java.exe", 77: "\u4efb\u52a1.exe"}


@pytest.mark.parametrize("text", ["", "INFO: No tasks are running which match the specified criteria.\r\n", "ERROR: Invalid argument/option - '/x'.\r\n"])
def test_tasklist_without_a_process_row_is_refused(text):
    with pytest.raises(ParseError, match="no process row"):
        parse_tasklist_csv(text)


def test_the_event_query_is_the_documented_shape_from_validated_integers():
    command = commands.query_tcpip_events(4231, 7)
    assert command.argv == ("wevtutil", "qe", "System",
                            "/q:*[System[Provider[@Name='Tcpip'] and EventID=4231 and TimeCreated[timediff(@SystemTime) <= 604800000]]]",
                            "/f:xml", "/c:100", "/rd:true")
    assert command.powershell() == ("& wevtutil qe System '/q:*[System[Provider[@Name=''Tcpip''] and EventID=4231 and "
                                    "TimeCreated[timediff(@SystemTime) <= 604800000]]]' /f:xml /c:100 /rd:true")
    assert commands.tasklist().powershell() == "& tasklist /fo csv /nh"


@pytest.mark.parametrize("event_id, days", [(4226, 7), (4231, 0), (4231, 366), (4231, True), (4231, "7"), ("4231 or 1=1", 7)])
def test_anything_but_the_two_ids_and_a_day_count_is_refused(event_id, days):
    with pytest.raises(commands.UnsafeCommandError):
        commands.query_tcpip_events(event_id, days)


def test_a_token_shaped_almost_like_the_query_is_still_refused():
    query = commands.query_tcpip_events(4231, 7).argv[3]
    for bad in (query.replace("Tcpip", "Tcpip' or '1"), query + "'", query.replace("604800000", "1; x")):
        with pytest.raises(commands.UnsafeCommandError):
            commands.NativeCommand(("wevtutil", "qe", "System", bad))


def test_the_simulated_host_answers_the_exact_query_and_refuses_others():
    model = HostModel.create("h", profile="server2022", load="heavy")
    host = SimHost(model)
    rc, out, _err = host.execute("& " + " ".join(f"'{t}'" if " " in t else t for t in ("tasklist", "/fo", "csv", "/nh")) + "\n")
    assert rc == 0 and parse_tasklist_csv(out)[3120] == "w3wp.exe"
    rc, out, _err = host.execute(commands.query_tcpip_events(4231, 1).powershell() + "\n")
    [event] = parse_wevtutil_events(out)
    assert rc == 0 and (event.provider, event.event_id) == ("Tcpip", 4231)
    rc, out, err = host.execute("& wevtutil qe System /c:5 /f:text\n")
    assert rc != 0 and "SIMULATOR-UNSUPPORTED" in out + err

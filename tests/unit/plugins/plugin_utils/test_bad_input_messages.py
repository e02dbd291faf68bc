# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input found by the reliability matrix (tests/reliability/test_bad_input.py): each is refused with a message that
says what was wrong and what is valid, in the engine, before anything could reach a host."""

from __future__ import annotations

import time

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION as PROBE_DOC
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import excluded_ranges, probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_summary import input_problems
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParseError, parse_excluded_port_ranges
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import dynamic_range_to_set
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError, type_name

EXCLUSION_ARGS = {"ranges": [], "state": "present", "purge": False, "protocols": ["tcp"], "ip_versions": ["ipv4"],
                  "store": "persistent", "winnat_restart": False}
PROBE_DEFAULTS = {name: spec.get("default") for name, spec in argument_spec_from_doc(PROBE_DOC).items()}
TABLE = "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
FOOT = "\r\n* - Administered port exclusions.\r\n\r\n"


def exclusions(ranges):
    return excluded_ranges.request_from_args({**EXCLUSION_ARGS, "ranges": ranges})


def test_an_end_below_start_says_which_ends_are_valid():
    with pytest.raises(TcpipValueError, match=r"must not be below start \(10000\); give an end from 10254 to 65535"):
        dynamic_range_to_set(10000, end=9999)


def test_at_most_100_exclusions_per_task():
    assert len(exclusions([{"start": 1 + 2 * i, "count": 1} for i in range(excluded_ranges.MAX_RANGES)]).ranges) == 100
    with pytest.raises(TcpipValueError, match=r"^ranges: 101 ranges listed; a task lists at most 100"):
        exclusions([{"start": 1 + 2 * i, "count": 1} for i in range(101)])


def test_the_cap_comes_before_the_items_are_read():
    # 10,000 ranges took 20 s of controller CPU when every pair was compared; now they are refused at once.
    started = time.monotonic()
    with pytest.raises(TcpipValueError, match="at most 100"):
        exclusions([{"start": 1 + 6 * i, "count": 5} for i in range(10000)])
    assert time.monotonic() - started < 1


def test_overlaps_are_found_between_ranges_listed_far_apart():
    listed = [{"start": 60000 - 10 * i, "count": 5} for i in range(50)] + [{"start": 59993, "count": 3}]
    with pytest.raises(TcpipValueError, match=r"59990-59994 \(5 ports\) and 59993-59995 \(3 ports\) overlap; listed ranges must not overlap"):
        exclusions(listed)


@pytest.mark.parametrize("row", ["     50000       5x059     *", "     56638", "  50000  50059  **"])
def test_a_garbled_or_cut_off_exclusion_row_is_an_error_not_the_footnote(row):
    # Before, such a line closed the table like the footnote does, and the exclusion silently vanished.
    with pytest.raises(ParseError, match="is not a '<start> <end> \\[\\*\\]' row") as caught:
        parse_excluded_port_ranges(TABLE + "        80          80      \r\n" + row + "\r\n" + FOOT)
    assert caught.value.line_number == 7


def test_footnotes_in_other_languages_still_close_the_table():
    rows = parse_excluded_port_ranges(TABLE + "     50000       50059     *\r\n\r\n* - Verwaltete Portausschlüsse.\r\n")
    assert [(r.start, r.end, r.administered) for r in rows] == [(50000, 50059, True)]


@pytest.mark.parametrize("args, fragments", [
    ({"count": 0}, ["count=0 is not valid", "open at least one connection", "more than 200000 is reduced to 200000"]),
    ({"count": True}, ["count=true is not valid", "got a boolean", "open at least one connection"]),
    ({"timeout": 0}, ["timeout=0 is not valid", "at least 1 second", "more than 600 is reduced to 600"]),
    ({"timeout": False}, ["timeout=false", "got a boolean", "at least 1 second"]),
    ({"target_port": True}, ["target_port=true", "got a boolean", "a port up to 65535"]),
    ({"max_free_share": True}, ["max_free_share=true", "got a boolean", "a percentage from 1 to 90"]),
    ({"count": 300000, "fail_below": 250000}, ["fail_below=250000", "the probe may open (200000)"]),
])
def test_probe_messages_name_the_valid_range(args, fragments):
    with pytest.raises(TcpipValueError) as caught:
        probe.request_from_args({**PROBE_DEFAULTS, **args})
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize("data, problem", [
    ({"host": "h", "mode": "enforcee"}, 'mode="enforcee" is not one of audit, enforce'),
    ({"host": "h", "stage": "finished"}, 'stage="finished" is not one of info, done'),
    ({"host": "h", "headroom_combo": "ipv4_sctp"}, 'headroom_combo="ipv4_sctp" is not one of ipv4_tcp'),
    ({"mode": "audit"}, "host=null is not a host name"),
    ({"host": "  "}, 'host="  " is not a host name'),
    ({"host": "h", "before": "garbage"}, "before must be a registered task result (a dictionary), got str"),
    ({"host": "h", "probe": [1, 2]}, "probe must be a registered task result (a dictionary), got list"),
])
def test_summary_input_that_would_be_misread_is_refused(data, problem):
    assert any(problem in text for text in input_problems(data)), input_problems(data)


def test_summary_input_the_role_passes_is_fine():
    data = {"host": "h", "mode": "enforce", "check_mode": False, "stage": "info", "before": {}, "after": {}, "changes": {},
            "probe": {"skipped": True}, "headroom_combo": "ipv6_tcp", "probe_min_success": "1000", "rebooted": False}
    assert input_problems(data) == []
    assert input_problems({"host": "h"}) == []  # every other key may be missing


def test_type_names_hide_subclasses():
    class TaggedStr(str):
        pass

    class TaggedInt(int):
        pass

    assert (type_name(TaggedStr("x")), type_name(TaggedInt(5)), type_name(None), type_name([1])) == ("str", "int", "None", "list")
    assert type_name(True) == "bool"

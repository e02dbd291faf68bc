# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input (docs/reliability.md, rows B-NN and R-NN): every module, filter and the role's variables, fed values that
are out of range, of the wrong type, shell or PowerShell syntax, unknown or conflicting options, huge lists, empty input
and malformed command output; and the role's settings that the host's state forbids.

One ansible-playbook run holds every case as its own task (``ignore_errors``; the role's cases in a block whose rescue
records the failure, so the rest of the role cannot run). Each case must fail, unchanged, with a message that says what
was wrong and what is valid. The simulator's counters are the oracle that nothing reached a host: after the run they
must equal exactly what the valid control tasks at the end of each play cost, so a bad case that slipped through to a
host (or a counter that never moves) fails ``test_only_the_control_tasks_reached_the_hosts``. The role's cases that need
the host's state run on hosts of their own, where the counters must show their reads and no write.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest

from harness import PlayRun, play, row, run_playbook
from simfleet import HostSpec, fleet_of

HOST = "badin"       # Server 2022: every case but those below
OLD_HOST = "badold"  # Server 2008 R2: TcpTimedWaitDelay below 30 is refused there after the read
# The role's cases that need the host's state, refused by the plan step (the modules in check mode) before any write:
PLAN_HOST = "badplan"        # Server 2022 with Hyper-V (WinNAT blocks inside the TCP range)
NOADMIN_HOST = "badnoadmin"  # Server 2022, the account not elevated
# The setting: enforce mode with a TcpTimedWaitDelay to write, so a refusal after the first write would show.
ENFORCE = {"port_capacity_mode": "enforce", "port_capacity_tcp_timed_wait_delay": 30}

REG_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
DYNAMICPORT = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"
EXCLUDED_HEAD = "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
EXCLUDED_FOOT = "\r\n* - Administered port exclusions.\r\n\r\n"
REG_HEAD = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n"
NETSTAT_HEAD = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n"
ELEVATION = "The requested operation requires elevation (Run as administrator).\r\n\r\n"
# 10,000 exclusions that do not overlap (the module must refuse the count, not trip over an overlap).
HUGE_EXCLUSIONS = [{"start": 1 + 6 * i, "count": 5} for i in range(10000)]
LOOPBACKS_65 = [f"127.0.0.{i}" for i in range(2, 67)]
# The task name of the role's validation by ansible-core's argument spec (port_capacity_apply's checks: ROLE_STOPPED).
ROLE_VALIDATION_TASKS = ("Validating arguments against arg spec 'main'",)
# The role's one task for the host (port_capacity_apply), which refuses a host whose plan was refused, before any write.
ROLE_PLAN_GATE = "Check the wanted settings, read the host, plan, apply (enforce mode) and probe"
# A host the role's block rescued (the plan step's refusal included) fails again there, after the fleet report.
ROLE_STOPPED = "Fail the host that stopped, whose probe fell short, or (with port_capacity_fail_on_drift) that has drift"


class Case(t.NamedTuple):
    kind: str             # module, filter or role
    target: str           # the module or filter name ("" for the role)
    data: t.Any           # the module's arguments, the filter's input, or the role's variables
    filter_args: str = ""
    host: str = HOST
    warns: tuple[str, ...] = ()   # in the run's output (a role case's warning)
    absent: tuple[str, ...] = ()  # must not be in the message (a value the role must accept)


def module(name: str, host: str = HOST, **args: t.Any) -> Case:
    return Case("module", name, args, host=host)


def parse(name: str, text: t.Any, filter_args: str = "") -> Case:
    return Case("filter", name, text, filter_args)


def role(**variables: t.Any) -> Case:
    return Case("role", "", variables)


def role_on(host: str, **variables: t.Any) -> Case:
    """A role case that needs the host's state: refused by the plan step, after the read, before any write."""
    return Case("role", "", variables, host=host)


CASES = [
    # ----- win_dynamic_port_range ------------------------------------------------------------------------------
    pytest.param(module("win_dynamic_port_range", start=1024, count=1000),
                 ["start=1024 is not valid", "between 1025 and 65535"], id="B-01", marks=row("B-01")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=254),
                 ["count=254 is not valid", "at least 255 ports"], id="B-02", marks=row("B-02")),
    pytest.param(module("win_dynamic_port_range", start=65000, count=1000),
                 ["count=1000 is not valid", "start + count must be at most 65536", "would end at 65999"], id="B-03", marks=row("B-03")),
    pytest.param(module("win_dynamic_port_range", start=10000, end=9999),
                 ["end=9999 is not valid", "must not be below start (10000)", "give an end from 10254 to 65535"], id="B-04", marks=row("B-04")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=500, end=10499),
                 ["mutually exclusive: count|end"], id="B-05", marks=row("B-05")),
    pytest.param(module("win_dynamic_port_range", state="default", start=10000),
                 ["start=10000 is not valid", "state=default restores 49152/16384; do not give start, count or end"], id="B-06", marks=row("B-06")),
    pytest.param(module("win_dynamic_port_range", start="10000; Remove-Item C:\\ -Recurse", count=1000),
                 ["argument 'start'", "Remove-Item", "start: an integer from 1025 to 65535"], id="B-07", marks=row("B-07")),
    pytest.param(module("win_dynamic_port_range", start=10000, count="$(Stop-Computer)"),
                 ["argument 'count'", "$(Stop-Computer)", "count: an integer, at least 255, with start + count at most 65536"],
                 id="B-08", marks=row("B-08")),
    pytest.param(module("win_dynamic_port_range", start=10000, end="65535 & calc"),
                 ["argument 'end'", "65535 & calc", "end: an integer up to 65535, at least start + 254"], id="B-09", marks=row("B-09")),
    pytest.param(module("win_dynamic_port_range", start=True, count=1000),
                 ["start=true is not valid", "expected an integer, got a boolean", "between 1025 and 65535"], id="B-10", marks=row("B-10")),
    pytest.param(module("win_dynamic_port_range", start=[10000], count=1000),
                 ["argument 'start'", "list", "start: an integer from 1025 to 65535"], id="B-11", marks=row("B-11")),
    # Full-width digits: Ansible's int type reads them as 1024, and the range check refuses that value.
    pytest.param(module("win_dynamic_port_range", start="\uff11\uff10\uff12\uff14", count=1000),
                 ["start=1024 is not valid", "between 1025 and 65535"], id="B-12", marks=row("B-12")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=1000, protocols=["tcp", "udp`; Stop-Computer"]),
                 ["protocols", "tcp, udp", "Stop-Computer"], id="B-13", marks=row("B-13")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=1000, store="persistent\nnetsh advfirewall reset"),
                 ["store", "persistent, active"], id="B-14", marks=row("B-14")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=1000, protocols=[]),
                 ["ip_versions/protocols", "name at least one of each (ip_versions: ipv4, ipv6; protocols: tcp, udp)"], id="B-15", marks=row("B-15")),
    pytest.param(module("win_dynamic_port_range", start=10000, count=1000, colour="blue"),
                 ["Unsupported parameters", "colour", "Supported parameters include"], id="B-16", marks=row("B-16")),
    # ----- win_tcpip_parameters --------------------------------------------------------------------------------
    pytest.param(module("win_tcpip_parameters", max_user_port=4999),
                 ["max_user_port=4999 is not valid", "valid values are 5000-65534, or 'absent'"], id="B-17", marks=row("B-17")),
    pytest.param(module("win_tcpip_parameters", max_user_port=65535),
                 ["max_user_port=65535 is not valid", "valid values are 5000-65534"], id="B-18", marks=row("B-18")),
    pytest.param(module("win_tcpip_parameters", tcp_timed_wait_delay=1),
                 ["tcp_timed_wait_delay=1 is not valid", "valid values are 2-300, or 'absent'"], id="B-19", marks=row("B-19")),
    pytest.param(module("win_tcpip_parameters", tcp_timed_wait_delay=301),
                 ["tcp_timed_wait_delay=301 is not valid", "valid values are 2-300"], id="B-20", marks=row("B-20")),
    pytest.param(module("win_tcpip_parameters", max_user_port="65534; Remove-Item C:\\ -Recurse"),
                 ['max_user_port="65534; Remove-Item C:\\\\ -Recurse" is not valid', "expected an integer", "5000-65534"],
                 id="B-21", marks=row("B-21")),
    pytest.param(module("win_tcpip_parameters", tcp_timed_wait_delay="$(Stop-Computer)"),
                 ['tcp_timed_wait_delay="$(Stop-Computer)" is not valid', "expected an integer", "2-300"], id="B-22", marks=row("B-22")),
    pytest.param(module("win_tcpip_parameters", tcp_timed_wait_delay="30`; reg delete " + REG_KEY + " /f"),
                 ['tcp_timed_wait_delay="30`; reg delete', "expected an integer", "2-300"], id="B-23", marks=row("B-23")),
    pytest.param(module("win_tcpip_parameters", max_user_port="65534\nreg delete " + REG_KEY + " /va /f"),
                 ['max_user_port="65534\\nreg delete', "expected an integer", "5000-65534"], id="B-24", marks=row("B-24")),
    pytest.param(module("win_tcpip_parameters", tcp_timed_wait_delay="'; exit 0 #'"),
                 ["tcp_timed_wait_delay=\"'; exit 0 #'\" is not valid", "expected an integer", "2-300"], id="B-25", marks=row("B-25")),
    # Full-width digits in a raw-typed value: refused (it used to be read as 65534 and written to the registry).
    pytest.param(module("win_tcpip_parameters", max_user_port="\uff16\uff15\uff15\uff13\uff14"),
                 ['max_user_port="\uff16\uff15\uff15\uff13\uff14" is not valid', "expected an integer", "5000-65534"],
                 id="B-26", marks=row("B-26")),
    # str.isdigit() took a superscript two, and int() then crashed the task with a bare ValueError.
    pytest.param(module("win_tcpip_parameters", max_user_port="\u00b2"),
                 ['max_user_port="\u00b2" is not valid', "expected an integer", "5000-65534"], id="B-27", marks=row("B-27")),
    pytest.param(module("win_tcpip_parameters", max_user_port=True),
                 ["max_user_port=true is not valid", "expected an integer, got a boolean", "5000-65534"], id="B-28", marks=row("B-28")),
    pytest.param(module("win_tcpip_parameters", max_user_port={"value": 65534}),
                 ['max_user_port={"value": 65534} is not valid', "expected an integer", "5000-65534"], id="B-29", marks=row("B-29")),
    pytest.param(module("win_tcpip_parameters"),
                 ["max_user_port/tcp_timed_wait_delay", "give at least one of them (a value, or 'absent')"], id="B-30", marks=row("B-30")),
    pytest.param(module("win_tcpip_parameters", MaxUserPort=65534),
                 ["Unsupported parameters", "MaxUserPort", "max_user_port, tcp_timed_wait_delay"], id="B-31", marks=row("B-31")),
    # Valid on 2012 R2 and later, not on 2008 R2: the module reads the build (one command execution), then refuses.
    pytest.param(module("win_tcpip_parameters", host=OLD_HOST, tcp_timed_wait_delay=20),
                 ["tcp_timed_wait_delay=20 is not valid", "Windows build 7601 accepts 30-300 seconds"], id="B-32", marks=row("B-32")),
    # ----- win_excluded_port_range -----------------------------------------------------------------------------
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 0, "count": 1}]),
                 ["ranges[0]: excluded ports must lie within 1-65535 (this range is 0-0)"], id="B-33", marks=row("B-33")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 0}]),
                 ["ranges[0].count=0 is not valid", "an exclusion holds at least 1 port"], id="B-34", marks=row("B-34")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "end": 4999}]),
                 ["ranges[0].end=4999 is not valid", "must not be below start (5000)", "give an end from 5000 to 65535"],
                 id="B-35", marks=row("B-35")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 10, "end": 5009}]),
                 ["ranges[0]: give exactly one of count (the number of ports) and end (the last port); both were given"], id="B-36", marks=row("B-36")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 10}, {"start": 5009, "count": 10}]),
                 ["5000-5009 (10 ports)", "5009-5018 (10 ports)", "listed ranges must not overlap each other"], id="B-37", marks=row("B-37")),
    pytest.param(module("win_excluded_port_range", ranges=HUGE_EXCLUSIONS),
                 ["ranges: 10000 ranges listed; a task lists at most 100"], id="B-38", marks=row("B-38")),
    pytest.param(module("win_excluded_port_range", ranges=[]),
                 ["ranges=[] is not valid", "list at least one range (an empty list is only meaningful with purge=true)"],
                 id="B-39", marks=row("B-39")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": "5000; Remove-Item C:\\ -Recurse", "count": 1}]),
                 ["argument 'start'", "found in 'ranges'", "start: a port from 1 to 65535"], id="B-40", marks=row("B-40")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": "$(Stop-Computer)"}]),
                 ["argument 'count'", "found in 'ranges'", "count: an integer of at least 1"], id="B-41", marks=row("B-41")),
    # ansible-core's first error here was its no_log scan's, which named no option.
    pytest.param(module("win_excluded_port_range", ranges="5000-5010"),
                 ["Elements value for option 'ranges' is of type str and we were unable to convert to dict"], id="B-42", marks=row("B-42")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 1, "colour": "blue"}]),
                 ["Unsupported parameters", "colour", "ranges"], id="B-43", marks=row("B-43")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 1}], state="absent", purge=True),
                 ["purge=true is not valid", "purge only applies to state=present"], id="B-44", marks=row("B-44")),
    pytest.param(module("win_excluded_port_range", ranges=[{"start": 5000, "count": 1}], winnat_restart="yes; net stop winnat"),
                 ["argument 'winnat_restart'", "bool"], id="B-45", marks=row("B-45")),
    # ----- win_port_info ---------------------------------------------------------------------------------------
    pytest.param(module("win_port_info", colour="blue"),
                 ["Unsupported parameters", "colour"], id="B-46", marks=row("B-46")),
    # ----- win_port_probe --------------------------------------------------------------------------------------
    pytest.param(module("win_port_probe", count=0),
                 ["count=0 is not valid", "open at least one connection", "more than 200000 is reduced to 200000"], id="B-47", marks=row("B-47")),
    pytest.param(module("win_port_probe", count=300000, fail_below=250000),
                 ["fail_below=250000 is not valid", "between 0 and the number of connections the probe may open (200000)"],
                 id="B-48", marks=row("B-48")),
    pytest.param(module("win_port_probe", count=100, timeout=0),
                 ["timeout=0 is not valid", "give at least 1 second", "more than 600 is reduced to 600"], id="B-49", marks=row("B-49")),
    pytest.param(module("win_port_probe", count="1000 | Out-File C:\\pwned.txt"),
                 ["argument 'count'", "Out-File", "count: an integer, at least 1"], id="B-50", marks=row("B-50")),
    pytest.param(module("win_port_probe", count=100, target_host="127.0.0.1; Stop-Computer"),
                 ['target_host="127.0.0.1; Stop-Computer" is not valid', "expected an IP address literal (host names are not accepted)"],
                 id="B-51", marks=row("B-51")),
    pytest.param(module("win_port_probe", count=100, local_addresses=["127.0.0.2", "`whoami`"]),
                 ['local_addresses="`whoami`" is not valid', "expected an IP address literal"], id="B-52", marks=row("B-52")),
    pytest.param(module("win_port_probe", count=100, local_addresses=LOOPBACKS_65),
                 ["local_addresses: 65 addresses given; at most 64"], id="B-53", marks=row("B-53")),
    pytest.param(module("win_port_probe", count=100, ip_version=5),
                 ["ip_version", "4, 6"], id="B-54", marks=row("B-54")),
    pytest.param(module("win_port_probe", count=100, max_free_share=101),
                 ["max_free_share=101 is not valid", "a percentage from 1 to 90"], id="B-55", marks=row("B-55")),
    pytest.param(module("win_port_probe", count=100, target_port=70000),
                 ["target_port=70000 is not valid", "0 (the probe's own listener) or a port up to 65535"], id="B-56", marks=row("B-56")),
    # ----- port_capacity_report (module) -----------------------------------------------------------------------
    pytest.param(module("port_capacity_report", dest="REPORT_DIR", summaries=[], formats=["pdf"]),
                 ["formats", "markdown, csv, html, json", "pdf"], id="B-57", marks=row("B-57")),
    pytest.param(module("port_capacity_report", dest="REPORT_DIR", summaries="not a list"),
                 ["The report was not written", "expected a list of port_capacity_summary facts or a mapping of host to summary, got str"],
                 id="B-58", marks=row("B-58")),
    pytest.param(module("port_capacity_report", summaries=[]),
                 ["missing required arguments: dest"], id="B-59", marks=row("B-59")),
    # ----- parse_dynamic_port_range ----------------------------------------------------------------------------
    pytest.param(parse("parse_dynamic_port_range", "garbage"),
                 ["parse_dynamic_port_range: no dash line ('-----') found", "not the output of 'netsh ... show dynamicport'"],
                 id="B-60", marks=row("B-60")),
    pytest.param(parse("parse_dynamic_port_range", DYNAMICPORT[:DYNAMICPORT.index("Number")]),
                 ["parse_dynamic_port_range: expected exactly 2 lines ending in ': <number>'", "found 1"], id="B-61", marks=row("B-61")),
    pytest.param(parse("parse_dynamic_port_range", DYNAMICPORT.replace("49152", "65000")),
                 ["parse_dynamic_port_range: start 65000 and count 16384 do not describe a port range within 1..65535"],
                 id="B-62", marks=row("B-62")),
    pytest.param(parse("parse_dynamic_port_range", None),
                 ["parse_dynamic_port_range: expected a string, got None"], id="B-63", marks=row("B-63")),
    # ----- parse_excluded_port_ranges --------------------------------------------------------------------------
    pytest.param(parse("parse_excluded_port_ranges", ELEVATION),
                 ["parse_excluded_port_ranges: no dash line ('-----') found", "requires elevation"], id="B-64", marks=row("B-64")),
    # A garbled row used to be taken for the footnote: the exclusion vanished and [] came back.
    pytest.param(parse("parse_excluded_port_ranges", EXCLUDED_HEAD + "     50000       5x059     *\r\n" + EXCLUDED_FOOT),
                 ["parse_excluded_port_ranges: line is not a '<start> <end> [*]' row (cut off or garbled?)", "line 6"],
                 id="B-65", marks=row("B-65")),
    pytest.param(parse("parse_excluded_port_ranges", EXCLUDED_HEAD + "        80          80      \r\n     56638"),
                 ["parse_excluded_port_ranges: line is not a '<start> <end> [*]' row", "line 7: '     56638'"], id="B-66", marks=row("B-66")),
    pytest.param(parse("parse_excluded_port_ranges", EXCLUDED_HEAD + "     50000       70000     *\r\n" + EXCLUDED_FOOT),
                 ["parse_excluded_port_ranges: row 50000-70000 is not a port range within 1..65535"], id="B-67", marks=row("B-67")),
    pytest.param(parse("parse_excluded_port_ranges", 42),
                 ["parse_excluded_port_ranges: expected a string, got int"], id="B-68", marks=row("B-68")),
    # ----- parse_reg_query -------------------------------------------------------------------------------------
    pytest.param(parse("parse_reg_query", REG_HEAD + "    MaxUserPort    REG_DWORD    0xZZZZ\r\n\r\n"),
                 ["parse_reg_query: REG_DWORD data '0xZZZZ' is not 0x<hex>", "MaxUserPort"], id="B-69", marks=row("B-69")),
    pytest.param(parse("parse_reg_query", "ERROR: The system was unable to find the specified registry key or value.\r\n"),
                 ["parse_reg_query: line is neither a key path (HKEY_...) nor a value line", "ERROR: The system was unable"],
                 id="B-70", marks=row("B-70")),
    # ----- parse_netstat ---------------------------------------------------------------------------------------
    pytest.param(parse("parse_netstat", NETSTAT_HEAD + "  TCP    0.0.0.0:99999          0.0.0.0:0              LISTENING       4\r\n"),
                 ["parse_netstat: endpoint '0.0.0.0:99999' has a port above 65535"], id="B-71", marks=row("B-71")),
    pytest.param(parse("parse_netstat", NETSTAT_HEAD + "  TCP    0.0.0.0:http           0.0.0.0:0              LISTENING       4\r\n"),
                 ["parse_netstat: endpoint '0.0.0.0:http' has a port that is not a number (was netstat run with -n?)"],
                 id="B-72", marks=row("B-72")),
    pytest.param(parse("parse_netstat", ""),
                 ["parse_netstat: no TCP/UDP rows, and not an empty netstat table"], id="B-73", marks=row("B-73")),
    # ----- port_capacity_summary / port_capacity_report (filters) ----------------------------------------------
    pytest.param(parse("port_capacity_summary", "text"),
                 ["port_capacity_summary expects a dictionary, got str"], id="B-74", marks=row("B-74")),
    # A misspelt mode used to be summarised silently (an enforce run reported as drift).
    pytest.param(parse("port_capacity_summary", {"host": "badin", "mode": "enforcee", "stage": "finished"}),
                 ['port_capacity_summary: mode="enforcee" is not one of audit, enforce', 'stage="finished" is not one of info, done'],
                 id="B-75", marks=row("B-75")),
    pytest.param(parse("port_capacity_summary", {"mode": "audit", "before": "garbage"}),
                 ["port_capacity_summary: host=null is not a host name",
                  "before must be a registered task result (a dictionary), got str"], id="B-76", marks=row("B-76")),
    pytest.param(parse("port_capacity_report", [], "'pdf'"),
                 ['port_capacity_report: format="pdf" is not one of markdown, csv, html, json'], id="B-77", marks=row("B-77")),
    pytest.param(parse("port_capacity_report", 5),
                 ["port_capacity_report: expected a list of port_capacity_summary facts or a mapping of host to summary, got int"],
                 id="B-78", marks=row("B-78")),
    # ----- the role's argument spec and tasks/validate.yml (no host contact) -----------------------------------
    pytest.param(role(port_capacity_mode="destroy"),
                 ["port_capacity_mode", "audit, enforce", "destroy"], id="B-79", marks=row("B-79")),
    pytest.param(role(port_capacity_reboot="always"),
                 ["port_capacity_reboot", "never, allowed", "always"], id="B-80", marks=row("B-80")),
    pytest.param(role(port_capacity_range={"start": 1024, "count": 1000}),
                 ["port_capacity_range.start=1024 is not valid: the start port must be between 1025 and 65535"], id="B-81", marks=row("B-81")),
    pytest.param(role(port_capacity_ranges={"ipv4_tcp": {"start": 65400, "end": 65535}}),
                 ["port_capacity_ranges.ipv4_tcp.end=65535 is not valid: a dynamic range holds at least 255 ports (got 136)"],
                 id="B-82", marks=row("B-82")),
    pytest.param(role(port_capacity_range={"start": 10000, "count": 500, "end": 10499}),
                 ["port_capacity_range", "mutually exclusive: count|end"], id="B-83", marks=row("B-83")),
    pytest.param(role(port_capacity_ranges={"ipv5_tcp": {"start": 10000, "count": 1000}}),
                 ["ipv5_tcp", "Supported parameters include"], id="B-84", marks=row("B-84")),
    pytest.param(role(port_capacity_range={"start": "$(Stop-Computer)", "count": 1000}),
                 ["port_capacity_range", "start", "$(Stop-Computer)", "int"], id="B-85", marks=row("B-85")),
    # The conflict: MaxUserPort would rewrite the wanted TCP range to 1024-MaxUserPort at the next boot.
    pytest.param(role(port_capacity_range={"start": 10000, "end": 65535}, port_capacity_max_user_port=65534),
                 ["port_capacity_max_user_port=65534 conflicts with the wanted TCP range", "Set it to 'absent'"], id="B-86", marks=row("B-86")),
    pytest.param(role(port_capacity_max_user_port="65534; Remove-Item C:\\ -Recurse"),
                 ['port_capacity_max_user_port="65534; Remove-Item C:\\\\ -Recurse" is not valid',
                  "expected an integer; valid values are 5000-65534, or 'absent'"], id="B-87", marks=row("B-87")),
    pytest.param(role(port_capacity_tcp_timed_wait_delay=1),
                 ["port_capacity_tcp_timed_wait_delay=1 is not valid: valid values are 2-300, or 'absent'"], id="B-88", marks=row("B-88")),
    pytest.param(role(port_capacity_exclusions=[{"start": 0, "count": 1}]),
                 ["port_capacity_exclusions[0]: excluded ports must lie within 1-65535 (this range is 0-0)"], id="B-89", marks=row("B-89")),
    pytest.param(role(port_capacity_exclusions=HUGE_EXCLUSIONS),
                 ["port_capacity_exclusions: 10000 ranges listed; the role applies at most 100"], id="B-90", marks=row("B-90")),
    pytest.param(role(port_capacity_probe_count=0),
                 ["port_capacity_probe_count=0 is not valid: open at least one connection"], id="B-91", marks=row("B-91")),
    pytest.param(role(port_capacity_probe_count=100, port_capacity_probe_min_success=101),
                 ["port_capacity_probe_min_success=101 is not valid: between 0 and the number of connections the probe may open (100)"],
                 id="B-92", marks=row("B-92")),
    pytest.param(role(port_capacity_probe_timeout="60 & calc"),
                 ["port_capacity_probe_timeout", "60 & calc", "int"], id="B-93", marks=row("B-93")),
    # The module's limit (win_port_probe refuses more than 90): the role used to accept up to 100 and fail at the probe.
    pytest.param(role(port_capacity_probe_max_free_share=95),
                 ["port_capacity_probe_max_free_share=95 is not valid: a percentage from 1 to 90"], id="B-95", marks=row("B-95")),
    # Issue 14: in enforce mode these used to be refused only after TcpTimedWaitDelay (and MaxUserPort's removal) were written.
    pytest.param(role(**ENFORCE, port_capacity_exclusions=[{"start": 7100, "end": 7109}, {"start": 7105, "end": 7114}]),
                 ["port_capacity_exclusions: 7100-7109 (10 ports) and 7105-7114 (10 ports) overlap; listed ranges must not overlap each other"],
                 id="B-96", marks=row("B-96")),
    # Over the probe's 200,000 cap with min_success null (all of them): it used to fail at the probe, after 5 writes.
    pytest.param(role(**ENFORCE, port_capacity_probe_count=250000),
                 ["port_capacity_probe_count=250000 is not valid: the probe opens at most 200000 connections",
                  "port_capacity_probe_min_success null"], id="B-97", marks=row("B-97")),
    pytest.param(role(**ENFORCE, port_capacity_exclusions=[{"start": 7100, "count": 10}], port_capacity_exclusion_protocols=[]),
                 ["port_capacity_exclusion_protocols: name at least one of each"], id="B-98", marks=row("B-98")),
    # ansible.windows is not installed here: the run used to end the whole play at reboot.yml, after the writes.
    pytest.param(role(**ENFORCE, port_capacity_reboot="allowed"),
                 ["port_capacity_reboot=allowed needs the ansible.windows collection on the controller",
                  "ansible.windows.win_reboot does not resolve", "set port_capacity_reboot: never"], id="B-99", marks=row("B-99")),
    # A null range used to leave that range silently unmanaged.
    pytest.param(role(**ENFORCE, port_capacity_range={"start": 10000, "end": 65535}, port_capacity_ranges={"ipv4_tcp": None}),
                 ["port_capacity_ranges.ipv4_tcp=null is not valid: give {start, count} or {start, end}",
                  "leave ipv4_tcp out of port_capacity_ranges to have it follow port_capacity_range"], id="R-01", marks=row("R-01")),
    # "ABSENT" is accepted as win_tcpip_parameters accepts it (it used to be refused): only the probe timeout is wrong here.
    pytest.param(Case("role", "", {**ENFORCE, "port_capacity_max_user_port": "ABSENT", "port_capacity_range": {"start": 10000, "end": 65535},
                                   "port_capacity_probe_timeout": 0}, absent=("max_user_port",)),
                 ["port_capacity_probe_timeout=0 is not valid: give at least 1 second"], id="R-02", marks=row("R-02")),
    # A misspelt variable used to pass silently (the range left unmanaged): a warning names the closest variable.
    pytest.param(Case("role", "", {"port_capacity_rang": {"start": 10000, "end": 65535}, "port_capacity_probe_count": 0},
                      warns=(f"{HOST}: port_capacity_rang is not a variable of the portscale.tcpip.port_capacity role and is ignored; "
                             "did you mean port_capacity_range?",)),
                 ["port_capacity_probe_count=0 is not valid"], id="R-03", marks=row("R-03")),
    # ----- the role's plan step (the modules in check mode, after the read, before any write) ------------------
    # UDP 5353/5355 (mDNS, LLMNR) are bound below the default range; 5000-65535 would cover them.
    pytest.param(role_on(PLAN_HOST, **ENFORCE, port_capacity_range={"start": 5000, "end": 65535}, port_capacity_listener_guard="fail"),
                 ["Refused before any write: port_capacity_listener_guard=fail: refusing the change: the new range 5000-65535",
                  "covers ports that services on the host listen on", "5353", "Nothing was written to the host."], id="R-04", marks=row("R-04")),
    # SMB listens on 445 (IPv4 and IPv6): Windows refuses to exclude a port in use.
    pytest.param(role_on(PLAN_HOST, **ENFORCE, port_capacity_exclusions=[{"start": 440, "count": 10}]),
                 ["port_capacity_exclusions: ports to exclude are in use on the host (ipv4_tcp: 445; ipv6_tcp: 445)",
                  "Nothing was written to the host."], id="R-05", marks=row("R-05")),
    # The default TCP range holds the host's Hyper-V/WinNAT blocks.
    pytest.param(role_on(PLAN_HOST, **ENFORCE, port_capacity_exclusions=[{"start": 49152, "end": 65535}]),
                 ["port_capacity_exclusions: ipv4_tcp 49152-65535 (16384 ports) overlaps", "Hyper-V/WinNAT reservation",
                  "set port_capacity_winnat_restart=true"], id="R-06", marks=row("R-06")),
    # 47001 is WinRM's HTTP.sys registration, a system row of the exclusion table.
    pytest.param(role_on(PLAN_HOST, **ENFORCE, port_capacity_exclusions=[{"start": 47000, "count": 5}]),
                 ["port_capacity_exclusions: ipv4_tcp 47000-47004 (5 ports) overlaps 47001-47001 (1 ports)",
                  "those ports are a system reservation"], id="R-07", marks=row("R-07")),
    pytest.param(role_on(NOADMIN_HOST, **ENFORCE, port_capacity_range={"start": 10000, "end": 65535}),
                 ["Refused before any write: host: win_tcpip_parameters, win_dynamic_port_range would change settings, "
                  "but the account does not run elevated on the host"], id="R-08", marks=row("R-08")),
]

# What the valid control tasks cost, exactly (docs/role.md, docs/semantics.md: one command execution per read, one more
# for a write batch). They run after the bad cases, so a counter that never moves cannot pass for "nothing was written".
CONTROL_TASKS = {
    HOST: [
        {"name": "control: a valid range in check mode (one read)", "check_mode": True,
         "portscale.tcpip.win_dynamic_port_range": {"start": 10000, "end": 65535}},
        {"name": "control: win_port_info (one read)", "portscale.tcpip.win_port_info": {}},
    ],
    OLD_HOST: [
        {"name": "control: a valid TcpTimedWaitDelay (a read, then a write batch with one reg add and its marker)",
         "portscale.tcpip.win_tcpip_parameters": {"tcp_timed_wait_delay": 60}},
    ],
    # The plan cases' reads are the control: the counters move, and only by reads.
    PLAN_HOST: [],
    NOADMIN_HOST: [],
}
# The plan hosts: each case costs the role's one read (port_capacity_apply plans every setting from it), and no write.
EXPECTED_COUNTERS = {HOST: {"executions": 2, "writes": 0}, OLD_HOST: {"executions": 1 + 2, "writes": 2},  # the value and its marker
                     PLAN_HOST: {"executions": 4 * 1, "writes": 0}, NOADMIN_HOST: {"executions": 1, "writes": 0}}


HOSTS = (HOST, OLD_HOST, PLAN_HOST, NOADMIN_HOST)


def case_task(ident: str, case: Case, report_dir: str) -> dict:
    """The task (or, for the role, the block) of one case, named by its row id."""
    if case.kind == "module":
        args = {k: (report_dir if v == "REPORT_DIR" else v) for k, v in case.data.items()}
        return {"name": ident, f"portscale.tcpip.{case.target}": args, "ignore_errors": True}
    if case.kind == "filter":
        call = f"portscale.tcpip.{case.target}({case.filter_args})" if case.filter_args else f"portscale.tcpip.{case.target}"
        return {"name": ident, "ansible.builtin.set_fact": {"parsed": "{{ bad_input | " + call + " }}"},
                "vars": {"bad_input": case.data}, "ignore_errors": True}
    # The role: a failure in its validation ends the block, and the rescue records which task failed and why. Without
    # the block, ignore_errors would let the role carry on to win_port_info and contact the host.
    return {"name": f"{ident} (block)", "block": [
        {"name": f"{ident} role", "ansible.builtin.include_role": {"name": "portscale.tcpip.port_capacity"}, "vars": case.data},
        {"name": f"{ident} was not refused", "ansible.builtin.debug": {"msg": "the role accepted the variables"}},
    ], "rescue": [
        {"name": ident, "ansible.builtin.debug": {"msg": {
            "failed_task": "{{ ansible_failed_task.name }}", "msg": "{{ ansible_failed_result.msg | default('') }}",
            "changed": "{{ ansible_failed_result.changed | default(false) }}"}}},
    ]}


def playbook(report_dir: str) -> list[dict]:
    plays = []
    for host in HOSTS:
        tasks = [case_task(p.id, p.values[0], report_dir) for p in CASES if p.values[0].host == host]
        # The role writes its report only after the host was read; point it away from the playbook anyway.
        plays += play(host, tasks + CONTROL_TASKS[host], vars={"port_capacity_report_dir": f"{report_dir}/role"})
    return plays


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_input")
    report_dir = tmp / "report"
    specs = [HostSpec(HOST), HostSpec(OLD_HOST, profile="server2008r2"), HostSpec(PLAN_HOST, hyperv=True),
             HostSpec(NOADMIN_HOST, elevated=False)]
    with fleet_of(str(tmp / "sim"), specs) as fleet:
        fleet.control.call("all", "reset-counters")
        run = run_playbook(tmp, fleet.inventory(), playbook(str(report_dir)), name="bad-input")
        counters = {host: {"executions": fleet.executions(host), "writes": fleet.writes(host)} for host in HOSTS}
        yield {"run": run, "counters": counters, "report_dir": report_dir}


class Outcome(t.NamedTuple):
    failed: bool
    changed: bool
    msg: str
    task: str


def outcome(run: PlayRun, ident: str, case: Case) -> Outcome:
    recorded = run.of(case.host, ident)
    if case.kind == "role":
        # The rescue ran (so a role task failed); its message says which task and why.
        data = recorded.result["msg"]
        return Outcome(True, data["changed"] in (True, "True"), str(data["msg"]), data["failed_task"])
    # "ignored" is a failed result under ignore_errors (the record callback drops the "failed" key, as the default one does).
    return Outcome(recorded.status == "ignored", bool(recorded.result.get("changed")), recorded.msg, ident)


@pytest.mark.parametrize("case, expected", CASES)
def test_bad_input_is_refused_with_a_clear_message(bad_run, request, case, expected):
    got = outcome(bad_run["run"], request.node.callspec.id, case)
    assert got.failed, got
    assert not got.changed, got
    for fragment in expected:
        assert fragment in got.msg, f"{fragment!r} not in {got.msg!r}"
    for fragment in case.absent:
        assert fragment not in got.msg, f"{fragment!r} in {got.msg!r}"
    for warning in case.warns:
        assert warning in " ".join(bad_run["run"].output.split()), f"warning {warning!r} not in the run's output"
    # A message, never a crash: no traceback, no "unexpected failure" wrapper around an unhandled exception.
    assert "Traceback" not in got.msg and "nexpected" not in got.msg, got.msg
    if case.kind == "module" and case.target.startswith("win_"):
        assert got.msg.endswith("Nothing was changed."), got.msg
    if case.kind == "role" and case.host in (PLAN_HOST, NOADMIN_HOST):
        # One message per host, from the plan step's gate: nothing was written before it (B-94 counts the writes).
        # The role records it, writes the report, then fails the host with it.
        assert got.task == ROLE_STOPPED and got.msg.startswith("plan failed: Refused before any write: "), got
        gate = [r for r in bad_run["run"].results if r.host == case.host and r.task.endswith(ROLE_PLAN_GATE) and r.status == "failed"]
        assert gate and any(got.msg == "plan failed: " + " ".join(r.msg.split()) for r in gate), got
    elif case.kind == "role":
        # ansible-core's argument spec task, or port_capacity_apply's checks before any contact: the host is rescued
        # (the report gets its row) and fails again after the report with the validation's reason.
        assert got.task.startswith(ROLE_VALIDATION_TASKS) or (got.task == ROLE_STOPPED and got.msg.startswith("validate failed: ")), \
            f"the role failed in {got.task!r}, not in its validation"


@row("B-94")
def test_only_the_control_tasks_reached_the_hosts(bad_run):
    run = bad_run["run"]
    for task in [task for tasks in CONTROL_TASKS.values() for task in tasks]:
        statuses = run.statuses(task["name"])
        assert set(statuses.values()) <= {"ok", "changed"} and statuses, (task["name"], statuses, run.output[-3000:])
    assert bad_run["counters"] == EXPECTED_COUNTERS
    # The report module's cases wrote nothing on the controller; the role's report exists only for the plan-step hosts
    # (read, then refused), each listed as incomplete with its refusal.
    written = sorted(path.relative_to(bad_run["report_dir"]).as_posix() for path in pathlib.Path(bad_run["report_dir"]).rglob("*"))
    assert written == ["role", "role/port_capacity.csv", "role/port_capacity.html", "role/port_capacity.json", "role/port_capacity.md"]
    hosts = json.loads((pathlib.Path(bad_run["report_dir"]) / "role" / "port_capacity.json").read_text(encoding="utf-8"))["hosts"]
    assert {entry["status"] for entry in hosts} == {"incomplete"}
    assert all(entry["reason"].startswith("plan failed: Refused before any write: ") for entry in hosts), hosts

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four filter plugins: names, plain-data results, and errors surfaced as AnsibleFilterError."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.portscale.tcpip.plugins.filter import parse_dynamic_port_range, parse_excluded_port_ranges, parse_netstat, parse_reg_query
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParseError

DYNAMIC = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 1024\r\nNumber of Ports : 64511\r\n\r\n"
EXCLUDED = (
    "\r\nPortausschlussbereiche f\u00fcr das Protokoll \"tcp\"\r\n\r\nStartport      Endport\r\n----------    --------\r\n"
    "     28380       28380\r\n     49711       49810\r\n     50000       50059     *\r\n\r\n* - Verwaltete Portausschl\u00fcsse.\r\n"
)
REG = (
    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n"
    "    NV Hostname    REG_SZ    web01\r\n    MaxUserPort    REG_DWORD    0xfffe\r\n    List    REG_MULTI_SZ    a\\0b\r\n\r\n"
)
NETSTAT = (
    "\r\nAktive Verbindungen\r\n\r\n"
    "  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n"
    "  TCP    0.0.0.0:135            0.0.0.0:0              ABH\u00d6REN         1044\r\n"
    "  TCP    [::1]:49152            [::1]:5985             HERGESTELLT     612\r\n"
    "  UDP    0.0.0.0:5353           *:*                                    3204\r\n"
)

FILTERS = {
    "parse_dynamic_port_range": parse_dynamic_port_range,
    "parse_excluded_port_ranges": parse_excluded_port_ranges,
    "parse_reg_query": parse_reg_query,
    "parse_netstat": parse_netstat,
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_filter_module_maps_its_one_name(name):
    module = FILTERS[name]
    mapping = module.FilterModule().filters()
    assert list(mapping) == [name]
    assert mapping[name] is getattr(module, name + "_filter")


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_file_documents_its_filter(name):
    module = FILTERS[name]
    assert "name: " + name + "\n" in module.DOCUMENTATION
    assert "portscale.tcpip." + name in module.EXAMPLES
    assert "_value:" in module.RETURN


def test_parse_dynamic_port_range_filter():
    assert parse_dynamic_port_range.parse_dynamic_port_range_filter(DYNAMIC) == {"start": 1024, "count": 64511, "end": 65534}


def test_parse_excluded_port_ranges_filter():
    assert parse_excluded_port_ranges.parse_excluded_port_ranges_filter(EXCLUDED) == [
        {"start": 28380, "end": 28380, "count": 1, "administered": False},
        {"start": 49711, "end": 49810, "count": 100, "administered": False},
        {"start": 50000, "end": 50059, "count": 60, "administered": True},
    ]


def test_parse_reg_query_filter():
    assert parse_reg_query.parse_reg_query_filter(REG) == {
        "NV Hostname": {"type": "REG_SZ", "value": "web01"},
        "MaxUserPort": {"type": "REG_DWORD", "value": 65534},
        "List": {"type": "REG_MULTI_SZ", "value": ["a", "b"]},
    }


def test_parse_netstat_filter():
    result = parse_netstat.parse_netstat_filter(NETSTAT)
    assert [(r["protocol"], r["local_port"], r["state_raw"], r["state"], r["is_listener"], r["ip_version"]) for r in result] == [
        ("TCP", 135, "ABH\u00d6REN", "LISTENING", True, 4),
        ("TCP", 49152, "HERGESTELLT", "ESTABLISHED", False, 6),
        ("UDP", 5353, "", None, True, 4),
    ]
    assert set(result[0]) == {
        "protocol", "local_address", "local_port", "remote_address", "remote_port", "state_raw", "state", "is_listener", "pid", "ip_version",
    }


@pytest.mark.parametrize(
    "name, text",
    [("parse_dynamic_port_range", DYNAMIC), ("parse_excluded_port_ranges", EXCLUDED), ("parse_reg_query", REG), ("parse_netstat", NETSTAT)],
)
def test_results_are_plain_json_data_and_accept_stdout_lines(name, text):
    function = getattr(FILTERS[name], name + "_filter")
    result = function(text)
    assert json.loads(json.dumps(result)) == result
    assert function(text.split("\r\n")) == result


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize("data", ["The requested operation requires elevation (Run as administrator).\r\n", 42])
def test_errors_become_filter_errors(name, data):
    function = getattr(FILTERS[name], name + "_filter")
    with pytest.raises(AnsibleFilterError) as info:
        function(data)
    assert str(info.value).startswith(name + ": ")
    assert isinstance(info.value.orig_exc, ParseError)

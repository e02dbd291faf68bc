# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_probe's engine without a host: argument checks, hard caps, the free-share cap, output parsing, fail_below."""

from __future__ import annotations

import json

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedConnection
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.remote import RemoteError

DEFAULTS = {name: spec.get("default") for name, spec in argument_spec_from_doc(DOCUMENTATION).items()}


def request(**args):
    return probe.request_from_args({**DEFAULTS, **args})


def range_with_free(free, port_range=PortRange(49152, 16384)):
    rows = [ParsedConnection("TCP", "10.0.0.5", port_range.start + i, "192.0.2.10", 1433, "TIME_WAIT", "TIME_WAIT", False, 0, 4)
            for i in range(port_range.count - free)]
    return capacity.range_capacity(("ipv4", "tcp"), port_range, (), rows, 120)


def outcome(**changes):
    base = {"schema": 1, "requested": 10, "opened": 10, "closed": 10, "first_failure_index": None, "error": None, "timed_out": False,
            "elapsed_ms": 2.5, "rate_per_sec": 4000.0, "local_port_min": 49160, "local_port_max": 49169, "addresses_used": ["127.0.0.1"],
            "opened_per_address": {"127.0.0.1": 10}, "listener_port": 49156, "target": "127.0.0.1:49156"}
    return {**base, **changes}


def test_the_documented_defaults():
    assert DEFAULTS["count"] == 1000 and DEFAULTS["timeout"] == 60 and DEFAULTS["max_free_share"] == 50
    assert DEFAULTS["allow_exhaustion"] is False and DEFAULTS["ip_version"] == 4 and DEFAULTS["target_port"] == 0


def test_defaults_probe_the_loopback_of_the_ip_version():
    assert request().target_host == "127.0.0.1"
    assert request(ip_version=6).target_host == "::1"
    assert request(ip_version=6).combo == ("ipv6", "tcp")


def test_addresses_are_made_canonical_and_checked():
    req = request(ip_version=6, target_host="0:0:0:0:0:0:0:1", local_addresses=["0::1", "fe80::1%4"])
    assert req.target_host == "::1" and req.local_addresses == ("::1", "fe80::1%4")
    with pytest.raises(TcpipValueError, match="IPv4"):
        request(target_host="::1")
    with pytest.raises(TcpipValueError, match="host names"):
        request(target_host="localhost")
    with pytest.raises(TcpipValueError, match="once"):
        request(ip_version=6, local_addresses=["::1", "0:0::1"])     # the same address once made canonical
    with pytest.raises(TcpipValueError, match="at most 64"):
        request(local_addresses=[f"127.0.{i // 250}.{i % 250 + 1}" for i in range(65)])


@pytest.mark.parametrize("text", ["::1%$(Stop-Computer)", "fe80::1%eth0", "fe80::1%4; calc", "::1%' + 'x", "fe80::1%\uff14"])
def test_ipv6_scope_ids_are_interface_numbers_only(text):
    # Python's ipaddress keeps any text after '%' and str() returns it: it would have reached the probe's parameters.
    with pytest.raises(TcpipValueError, match="scope id"):
        request(ip_version=6, target_host=text)
    with pytest.raises(TcpipValueError, match="scope id"):
        request(ip_version=6, local_addresses=["::1", text])


@pytest.mark.parametrize("args, option", [
    ({"count": 0}, "count"), ({"timeout": 0}, "timeout"), ({"ip_version": 5}, "ip_version"), ({"target_port": 65536}, "target_port"),
    ({"max_free_share": 0}, "max_free_share"), ({"max_free_share": 101}, "max_free_share"), ({"fail_below": 1001}, "fail_below"),
    ({"fail_below": -1}, "fail_below"), ({"count": True}, "count"),
])
def test_bad_arguments_are_refused_before_any_remote_call(args, option):
    with pytest.raises(TcpipValueError) as caught:
        request(**args)
    assert caught.value.option == option


def test_hard_caps_reduce_the_request_and_say_so():
    req = request(count=500000, timeout=3600)
    assert (req.count, req.timeout_ms, req.requested_count) == (200000, 600000, 500000)
    assert [c["limit"] for c in req.hard_caps] == ["max_count", "max_timeout"]
    assert req.hard_caps[0]["applied"] == 200000 and req.hard_caps[1]["applied"] == 600


def test_the_share_cap_takes_half_the_free_ports_minus_the_listener():
    plan = probe.plan_probe(request(count=4000), range_with_free(2358), 20348)
    assert (plan.count, plan.free_ports, plan.port_budget, plan.socket_limit) == (1178, 2358, 1178, 1178)
    assert plan.capped[0]["limit"] == "free_share" and plan.capped[0]["requested"] == 4000 and plan.capped[0]["applied"] == 1178


def test_no_listener_cost_for_an_external_target():
    plan = probe.plan_probe(request(count=4000, target_port=1433), range_with_free(2358), 20348)
    assert plan.count == 1179


def test_a_request_under_the_cap_is_left_alone():
    plan = probe.plan_probe(request(count=1000), range_with_free(2358), 20348)
    assert plan.count == 1000 and plan.capped == ()


def test_scalability_options_with_k_addresses_multiply_the_socket_limit():
    addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    plan = probe.plan_probe(request(count=10000, reuse_unicast_port=True, local_addresses=addresses), range_with_free(2358), 20348)
    assert (plan.port_budget, plan.socket_limit, plan.count) == (1178, 3534, 3534)
    # Explicit binds without an option share one pool: no multiplication.
    plan = probe.plan_probe(request(count=10000, local_addresses=addresses), range_with_free(2358), 20348)
    assert plan.count == 1178


def test_allow_exhaustion_lifts_the_share_cap_only():
    plan = probe.plan_probe(request(count=500000, allow_exhaustion=True), range_with_free(10), 20348)
    assert plan.count == 200000 and plan.port_budget is None and [c["limit"] for c in plan.capped] == ["max_count"]


def test_a_host_without_a_dynamic_range_needs_allow_exhaustion():
    with pytest.raises(TcpipValueError, match="set allow_exhaustion: true"):
        probe.plan_probe(request(), None, 3790)
    assert probe.plan_probe(request(allow_exhaustion=True), None, 3790).count == 1000


def test_params_follow_the_contract():
    req = request(count=50, reuse_unicast_port=True, local_addresses=["127.0.0.2"])
    params = probe.probe_params(req, 40)
    assert params == {"schema": 1, "count": 40, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 0,
                      "reuse_unicast_port": True, "port_scalability": False, "local_addresses": ["127.0.0.2"], "ip_version": 4}


def test_output_with_one_marker_line_is_parsed():
    line = probe.RESULT_MARKER + json.dumps(outcome()) + "\r\n"
    assert probe.parse_probe_output(0, line, "", 10)["opened"] == 10


@pytest.mark.parametrize("rc, stdout, stderr, text", [
    (1, "", "portscale probe: count must be an integer 1..200000\r\n", "exited 1: portscale probe: count"),
    (0, "", "", "0 result lines"),
    (0, 2 * (probe.RESULT_MARKER + json.dumps(outcome()) + "\r\n"), "", "2 result lines"),
    (0, probe.RESULT_MARKER + "not json\r\n", "", "not a JSON object"),
    (0, probe.RESULT_MARKER + json.dumps(outcome(schema=2)) + "\r\n", "", "schema 2"),
    (0, probe.RESULT_MARKER + json.dumps({"schema": 1}) + "\r\n", "", "lacks requested"),
])
def test_output_outside_the_contract_is_an_error(rc, stdout, stderr, text):
    with pytest.raises(RemoteError, match=text) as caught:
        probe.parse_probe_output(rc, stdout, stderr, 10)
    assert caught.value.rc == rc and caught.value.stderr == stderr


@pytest.mark.parametrize("changes, text", [
    ({"opened": "10"}, "must be integers"),
    ({"opened": True}, "must be integers"),
    ({"opened": 11, "closed": 11}, "do not fit the request of 10"),
    ({"requested": 9}, "do not fit the request of 10"),
    ({"opened": -1}, "do not fit"),
    ({"first_failure_index": 3, "error": {"code": 10055, "name": "NoBufferSpaceAvailable", "message": "x"}}, "first_failure_index must"),
    ({"opened": 3, "closed": 3, "first_failure_index": 3, "error": {"code": "10055", "name": "x", "message": "x"}}, "error.code"),
    ({"opened": 3, "closed": 3, "first_failure_index": 3, "error": {"code": 10055}}, "error must be null or an object"),
    ({"opened": 3, "closed": 3, "first_failure_index": 3, "error": "10055"}, "error must be null or an object"),
    ({"opened": 3, "closed": 3, "first_failure_index": 3}, "both null or both set"),
    ({"elapsed_ms": "fast"}, "elapsed_ms"),
    ({"timed_out": "no"}, "timed_out"),
    ({"local_port_min": 70000}, "local_port_min"),
    ({"listener_port": None}, "listener_port"),
    ({"addresses_used": "127.0.0.1"}, "addresses_used"),
    ({"opened_per_address": {"127.0.0.1": "10"}}, "opened_per_address"),
], ids=lambda value: str(value)[:40])
def test_a_result_line_of_the_wrong_types_or_bounds_fails_clearly(changes, text):
    line = probe.RESULT_MARKER + json.dumps(outcome(**changes)) + "\r\n"
    with pytest.raises(RemoteError, match=text):
        probe.parse_probe_output(0, line, "", 10)


def test_max_free_share_leaves_the_host_a_tenth():
    assert probe.request_from_args({**DEFAULTS, "max_free_share": 90}).max_free_share == 90
    for share in (0, 91, 100):
        with pytest.raises(TcpipValueError, match="a percentage from 1 to 90"):
            probe.request_from_args({**DEFAULTS, "max_free_share": share})


def plan_for(req, free=2358):
    return probe.plan_probe(req, range_with_free(free), 20348)


def test_passing_with_fail_below():
    req = request(count=10, fail_below=10)
    result = probe.evaluate(req, plan_for(req), outcome())
    assert result["passed"] is True and not result.get("failed")
    assert result["requested"] == 10 and result["free_ports_before"] == 2358 and result["probed"] is True


def test_exhaustion_below_fail_below_fails_with_the_reason():
    req = request(count=10, fail_below=8)
    error = {"code": 10055, "name": "NoBufferSpaceAvailable", "message": "An operation on a socket could not be performed"}
    result = probe.evaluate(req, plan_for(req), outcome(opened=5, closed=5, first_failure_index=5, error=error))
    assert result["failed"] and result["passed"] is False
    assert "opened 5 of 10" in result["msg"] and "attempt 5 failed with 10055 NoBufferSpaceAvailable" in result["msg"]
    assert "widen the range" in result["msg"]


def test_exhaustion_without_fail_below_is_reported_not_failed():
    req = request(count=10)
    error = {"code": 10055, "name": "NoBufferSpaceAvailable", "message": "x"}
    result = probe.evaluate(req, plan_for(req), outcome(opened=0, closed=0, first_failure_index=0, error=error))
    assert not result.get("failed") and result["passed"] is None


def test_a_probe_that_cannot_start_fails_even_without_fail_below():
    req = request(count=10, target_port=1433)
    error = {"code": 10061, "name": "ConnectionRefused", "message": "refused"}
    result = probe.evaluate(req, plan_for(req), outcome(opened=0, closed=0, first_failure_index=0, error=error))
    assert result["failed"] and "could not open any connection" in result["msg"] and "10061" in result["msg"]


def test_a_timeout_below_fail_below_says_so():
    req = request(count=10, fail_below=10, timeout=1)
    result = probe.evaluate(req, plan_for(req), outcome(opened=3, closed=3, timed_out=True))
    assert result["failed"] and "1 s time budget ran out" in result["msg"]


def test_closed_must_equal_opened():
    req = request(count=10)
    result = probe.evaluate(req, plan_for(req), outcome(closed=9))
    assert result["warnings"] and "9 closed" in result["warnings"][0]

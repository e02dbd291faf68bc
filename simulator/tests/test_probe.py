# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe contract: framing, strict validation, capacity math, errors, timeouts, and no side effects."""

from __future__ import annotations

import copy
import json
import math

import pytest

from portscale_winsim import probe
from portscale_winsim.model import HostModel


def params(**changes):
    base = {"schema": 1, "count": 100, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 0,
            "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4}
    base.update(changes)
    return base


def script(p, strict=True):
    literal = json.dumps(p).replace("'", "''")
    lines = ["Set-StrictMode -Version Latest"] if strict else []
    lines += [probe.PROBE_HEADER, f"$PortscaleProbeParams = '{literal}'", "$p = $PortscaleProbeParams | ConvertFrom-Json",
              probe.OUTPUT_EMISSION]
    return "\n".join(lines)


def test_constants():
    assert probe.PROBE_HEADER == "# portscale.tcpip probe v1"
    assert probe.PARAMS_VARIABLE == "$PortscaleProbeParams"
    assert probe.RESULT_MARKER == "PORTSCALE-PROBE-RESULT "


def test_recognition():
    assert probe.is_probe_script(script(params()))
    assert probe.is_probe_script(script(params(), strict=False))
    assert probe.is_probe_script("\r\n  " + probe.PROBE_HEADER + "  \r\nfoo")
    assert not probe.is_probe_script("Write-Output 1\n" + probe.PROBE_HEADER)
    assert not probe.is_probe_script("# portscale.tcpip probe v2")


def test_exhaustion_index_equals_free_ports():
    model = HostModel.create("p", load="busy")
    free = len(model.free_ports(4))
    own = probe.run_probe(model, params(count=10000))
    assert own["first_failure_index"] == own["opened"] == free - 1        # the own listener takes one port
    assert own["error"]["code"] == 10055 and own["error"]["name"] == "NoBufferSpaceAvailable"
    assert own["error"]["message"] == ("An operation on a socket could not be performed because the system lacked sufficient buffer space "
                                       f"or because a queue was full 127.0.0.1:{own['listener_port']}")
    assert own["closed"] == own["opened"] and not own["timed_out"]
    assert own["listener_port"] == model.free_ports(4)[0]
    served = probe.run_probe(model, params(count=10000, target_port=8080))
    assert served["first_failure_index"] == free and served["target"] == "127.0.0.1:8080"


def test_small_probe_succeeds():
    model = HostModel.create("p")
    result = probe.run_probe(model, params(count=100))
    assert (result["opened"], result["error"], result["first_failure_index"], result["timed_out"]) == (100, None, None, False)
    assert result["elapsed_ms"] == 100 * probe.CONNECT_COST_US / 1000 and result["rate_per_sec"] == 4000.0
    free = model.free_ports(4)
    assert (result["local_port_min"], result["local_port_max"]) == (free[1], free[100])
    assert result["addresses_used"] == ["127.0.0.1"] and result["opened_per_address"] == {"127.0.0.1": 100}


def test_reuse_with_k_addresses_multiplies_capacity():
    model = HostModel.create("p", load="busy")
    pool = len(model.free_ports(4)) - 1
    addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    result = probe.run_probe(model, params(count=200000, local_addresses=addresses, reuse_unicast_port=True))
    assert result["opened"] == result["first_failure_index"] == 3 * pool
    assert result["error"]["code"] == 10048 and result["error"]["name"] == "AddressAlreadyInUse"
    assert result["opened_per_address"] == {a: pool for a in addresses}
    scal = probe.run_probe(model, params(count=200000, local_addresses=addresses, port_scalability=True))
    assert scal["opened"] == 3 * pool and scal["error"]["code"] == 10055
    plain = probe.run_probe(model, params(count=200000, local_addresses=addresses))
    assert plain["opened"] == pool and sum(plain["opened_per_address"].values()) == pool
    implicit = probe.run_probe(model, params(count=200000, reuse_unicast_port=True))
    assert implicit["opened"] == pool                       # reuse without explicit binds does not multiply


def test_timeout_caps_opened():
    model = HostModel.create("p", profile="server2019")
    result = probe.run_probe(model, params(count=10000, timeout_ms=100))
    assert result["timed_out"] and result["error"] is None and result["first_failure_index"] is None
    assert result["opened"] == math.ceil(100 * 1000 / probe.CONNECT_COST_US) and result["elapsed_ms"] >= 100
    wide = probe.run_probe(model, params(count=10000, timeout_ms=600000))
    assert wide["opened"] == 10000 and not wide["timed_out"]


def test_refused_and_start_errors():
    model = HostModel.create("p")
    refused = probe.run_probe(model, params(target_port=9999))
    assert (refused["opened"], refused["first_failure_index"], refused["error"]["code"]) == (0, 0, 10061)
    assert refused["error"]["message"] == "No connection could be made because the target machine actively refused it 127.0.0.1:9999"
    assert probe.run_probe(model, params(target_port=135))["opened"] == 100     # a real listener
    foreign = probe.run_probe(model, params(local_addresses=["198.51.100.254"]))
    assert foreign["error"]["code"] == 10049
    assert probe.run_probe(model, params(local_addresses=[model.ipv4_address]))["opened"] == 100
    legacy = HostModel.create("old", profile="server2012r2")
    assert probe.run_probe(legacy, params(reuse_unicast_port=True))["error"]["code"] == 10042
    client = HostModel.create("w", profile="win11")
    assert probe.run_probe(client, params(port_scalability=True))["error"]["name"] == "ProtocolOption"
    exhausted = HostModel.create("h", load="heavy")
    assert probe.run_probe(exhausted, params())["error"]["code"] == 10055


def test_ipv6():
    model = HostModel.create("p", load="busy")
    result = probe.run_probe(model, params(target_host="::1", ip_version=6, count=100000))
    assert result["opened"] == len(model.free_ports(6)) - 1 and result["target"].startswith("[::1]:")
    old = HostModel.create("o", profile="server2003")
    assert probe.run_probe(old, params(target_host="::1", ip_version=6))["error"]["code"] == 10047


def test_probe_never_changes_the_model():
    model = HostModel.create("p", hyperv=True, load="busy")
    before = copy.deepcopy(model.to_dict())
    model.dirty = False
    for p in (params(count=200000), params(count=50, reuse_unicast_port=True, local_addresses=["127.0.0.1", "127.0.0.2"]),
              params(target_port=1)):
        probe.run_probe(model, p)
    probe.run_probe_script(model, script(params()), 65001)
    assert model.to_dict() == before and not model.dirty


@pytest.mark.parametrize("bad", [
    {"count": 0}, {"count": 200001}, {"count": True}, {"count": 1.5}, {"timeout_ms": 0}, {"timeout_ms": 600001},
    {"target_port": 70000}, {"target_host": "localhost"}, {"target_host": "::1"}, {"ip_version": 5},
    {"reuse_unicast_port": 1}, {"local_addresses": ["127.0.0.1", "127.0.0.1"]}, {"local_addresses": "127.0.0.1"},
    {"local_addresses": [7]}, {"local_addresses": ["0:0:0:0:0:0:0:1"]}, {"schema": 2}, {"extra": 1},
])
def test_strict_validation(bad):
    with pytest.raises(probe.ProbeParamsError):
        probe.run_probe(HostModel.create("p"), params(**bad))
    missing = params()
    del missing["timeout_ms"]
    with pytest.raises(probe.ProbeParamsError, match="missing"):
        probe.validate_params(missing)


def test_script_round_trip_and_errors():
    model = HostModel.create("p")
    ok = probe.run_probe_script(model, script(params(count=10)), 65001)
    assert ok.exit_code == 0 and ok.stderr == b"" and ok.stdout.endswith(b"\r\n") and ok.stdout.count(b"\r\n") == 1
    assert ok.stdout.startswith(b"PORTSCALE-PROBE-RESULT ")
    payload = json.loads(ok.stdout[len(probe.RESULT_MARKER):])
    assert payload["opened"] == 10 and payload["schema"] == 1

    bad = probe.run_probe_script(model, script(params(count=-1)), 65001)
    assert bad.exit_code == 1 and bad.stdout == b"" and bad.stderr.startswith(b"portscale probe: count must be")
    not_json = probe.run_probe_script(model, probe.PROBE_HEADER + "\n$PortscaleProbeParams = '{nope'", 437)
    assert not_json.exit_code == 1 and b"not valid JSON" in not_json.stderr
    twice = probe.run_probe_script(model, script(params()) + "\n$PortscaleProbeParams = '{}'", 437)
    assert twice.exit_code == 1 and b"exactly one" in twice.stderr
    not_object = probe.run_probe_script(model, probe.PROBE_HEADER + "\n$PortscaleProbeParams = '[1]'", 437)
    assert not_object.exit_code == 1 and b"JSON object" in not_object.stderr
    remote = probe.run_probe_script(model, script(params(target_host="192.0.2.10", target_port=443)), 437)
    assert remote.exit_code == 1 and remote.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_quote_escaping_in_params_line():
    text = probe.PROBE_HEADER + "\n$PortscaleProbeParams = '{\"a\": \"it''s\"}'"
    assert probe.parse_probe_script(text) == {"a": "it's"}


def test_injected_probe_failure():
    model = HostModel.create("p")
    model.inject_command_failure("portscale-probe", 1, stderr=b"injected", times=1)
    assert probe.run_probe_script(model, script(params()), 437).stderr == b"injected"
    assert probe.run_probe_script(model, script(params()), 437).exit_code == 0

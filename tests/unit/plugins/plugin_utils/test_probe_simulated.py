# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_probe against simulated hosts (portscale_winsim through its shell layer and probe contract): the
exhaustion error at the right index on a loaded default host, a pass once the range is widened, the caps, check
mode, per-address capacity, and at most two command executions that leave the host's connection table unchanged."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import probe_script
from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import run_action
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost as BaseSimHost

DEFAULTS = {name: spec.get("default") for name, spec in argument_spec_from_doc(DOCUMENTATION).items()}


class SimHost(BaseSimHost):
    @property
    def probes(self) -> list[str]:
        return [s for s in self.scripts if s.startswith(probe_script.PROBE_HEADER)]


def run(model, check_mode=False, **args):
    host = SimHost(model)
    return probe.run(host.execute, {**DEFAULTS, **args}, check_mode), host


def busy():
    return HostModel.create("h", profile="server2022", load="busy")


def test_a_loaded_default_host_runs_out_at_the_free_port_count():
    model = busy()
    free = len(model.free_ports(4, "tcp"))
    result, host = run(model, count=4000, allow_exhaustion=True)
    assert len(host.scripts) == 2 and len(host.probes) == 1
    assert result["free_ports_before"] == free
    # The probe's own listener takes one free port; the clients get the rest.
    assert result["opened"] == result["first_failure_index"] == free - 1
    assert result["error"]["code"] == 10055 and result["error"]["name"] == "NoBufferSpaceAvailable"
    assert result["closed"] == result["opened"] and not result.get("failed") and result["passed"] is None


def test_fail_below_fails_on_the_loaded_host_and_passes_after_widening_the_range():
    model = busy()
    result, _host = run(model, count=4000, fail_below=4000, allow_exhaustion=True)
    assert result["failed"] and result["passed"] is False and "10055" in result["msg"]
    model.set_dynamic_range(4, "tcp", 10000, 55536, "persistent")     # what win_dynamic_port_range start=10000 end=65535 does
    result, _host = run(model, count=4000, fail_below=4000, allow_exhaustion=True)
    assert not result.get("failed") and result["passed"] is True
    assert result["opened"] == 4000 and result["error"] is None
    assert result["local_port_min"] >= 10000


def test_with_the_default_share_cap_the_loaded_host_fails_before_opening_anything():
    model = busy()
    free = len(model.free_ports(4, "tcp"))
    result, host = run(model, count=4000, fail_below=4000)
    assert result["failed"] and result["probed"] is False and host.probes == []
    assert result["count"] == free // 2 - 1 and result["capped"][0]["limit"] == "free_share"
    assert "allow_exhaustion" in result["msg"]
    model.set_dynamic_range(4, "tcp", 10000, 55536, "persistent")
    result, host = run(model, count=4000, fail_below=4000)
    assert result["passed"] is True and result["capped"] == [] and len(host.probes) == 1


def test_the_share_cap_is_never_exceeded():
    model = busy()
    free = len(model.free_ports(4, "tcp"))
    for share in (1, 10, 50, 90):
        result, _host = run(model, count=200000, max_free_share=share)
        assert result["count"] == max(0, free * share // 100 - 1)
        assert result["opened"] <= result["count"]
        assert result["opened"] + 1 <= free      # listener + clients never take more than what was free


def test_hard_caps_apply_even_with_allow_exhaustion():
    model = HostModel.create("h", profile="server2022", load="none")
    result, _host = run(model, count=300000, timeout=900, allow_exhaustion=True)
    assert result["count"] == 200000 and {c["limit"] for c in result["capped"]} == {"max_count", "max_timeout"}
    assert result["opened"] == len(model.free_ports(4, "tcp")) - 1


def test_check_mode_reads_and_opens_nothing():
    model = busy()
    result, host = run(model, check_mode=True, count=500)
    assert len(host.scripts) == 1 and host.probes == []
    assert result["probed"] is False and result["would_probe"]["count"] == 500 and "opened" not in result


def test_the_probe_leaves_the_connection_table_as_it_was():
    model = busy()
    before = copy.deepcopy(model.to_dict()["connections"])
    run(model, count=4000, allow_exhaustion=True)
    assert model.to_dict()["connections"] == before


def test_reuse_unicast_port_with_three_addresses_triples_capacity():
    model = busy()
    free = len(model.free_ports(4, "tcp"))
    addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    result, _host = run(model, count=200000, reuse_unicast_port=True, local_addresses=addresses, allow_exhaustion=True)
    assert result["opened"] == 3 * (free - 1)
    assert result["opened_per_address"] == {a: free - 1 for a in addresses}
    assert result["error"]["code"] == 10048                        # deferred allocation reports AddressAlreadyInUse
    # Without an option the addresses share one pool.
    result, _host = run(model, count=200000, local_addresses=addresses, allow_exhaustion=True)
    assert result["opened"] == free - 1


def test_per_address_share_cap_with_scalability():
    model = busy()
    free = len(model.free_ports(4, "tcp"))
    result, _host = run(model, count=200000, port_scalability=True, local_addresses=["127.0.0.1", "127.0.0.2"])
    assert result["safety"]["sockets_per_port"] == 2
    assert result["count"] == 2 * (free // 2 - 1) and result["opened"] == result["count"]


def test_ipv6_probe_draws_from_the_ipv6_range():
    model = busy()
    result, _host = run(model, count=1000, ip_version=6)
    assert result["target"].startswith("[::1]:") and result["opened"] == 1000
    assert result["free_ports_before"] == len(model.free_ports(6, "tcp"))


@pytest.mark.parametrize("profile, args, code", [
    # no SO_REUSE_UNICASTPORT before Windows 10 / 2016 (and no netstat -q: only allow_exhaustion lets it probe)
    ("server2012r2", {"reuse_unicast_port": True, "allow_exhaustion": True}, 10042),
    ("win11", {"port_scalability": True}, 10042),                   # no SO_PORT_SCALABILITY on client editions
    ("server2022", {"target_port": 1}, 10061),                      # nobody listens there
    ("server2022", {"local_addresses": ["192.0.2.99"]}, 10049),     # not an address of the host
])
def test_a_probe_that_cannot_start_fails(profile, args, code):
    result, _host = run(HostModel.create("h", profile=profile, load="idle"), count=10, **args)
    assert result["failed"] and result["error"]["code"] == code and result["opened"] == 0


def test_without_bound_sockets_listed_the_probe_refuses_unless_allowed_to_exhaust():
    # Before 2016 netstat has no -q: BOUND sockets are invisible, so the free count is too high by an unknown amount.
    model = HostModel.create("h", profile="server2012r2", load="idle")
    with pytest.raises(TcpipValueError, match="cannot list BOUND sockets") as caught:
        run(model, count=10)
    assert "Set allow_exhaustion: true" in str(caught.value)
    result, host = run(model, count=10, allow_exhaustion=True)
    assert result["opened"] == 10 and len(host.probes) == 1


def test_a_failing_probe_script_is_reported_with_its_exit_code_and_stderr():
    model = busy()
    model.inject_command_failure("portscale-probe", 1, stderr=b"boom\r\n")
    with pytest.raises(probe.RemoteError) as caught:
        run(model, count=10)
    assert caught.value.rc == 1 and "boom" in str(caught.value)


def test_through_the_action_plugin():
    model = busy()
    result, connection = run_action("win_port_probe", {"count": 4000, "fail_below": 4000, "allow_exhaustion": True}, SimHost(model))
    assert result["failed"] and "fail_below=4000" in result["msg"]
    assert len(connection.command_lines) == 2
    result, connection = run_action("win_port_probe", {"count": 100}, SimHost(model), check_mode=True)
    assert not result.get("failed") and result["probed"] is False and len(connection.command_lines) == 1


def test_the_action_plugin_reports_bad_input_without_touching_the_host():
    host = SimHost(busy())
    result, _connection = run_action("win_port_probe", {"count": 10, "fail_below": 11}, host)
    assert result["failed"] and "fail_below" in result["msg"] and host.scripts == []

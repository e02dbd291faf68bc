# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""converge: read -> plan -> (check mode stops) -> write + verify, against the in-memory fake host.

Counts command executions (one when nothing changes or in check mode, two when something changes) and checks
that every failure says what the host answered and exactly what changed.
"""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import dynamic_range
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.converge import ConvergeFailed, Plan, WriteOutcomeUnknown, converge, state_delta
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.reader import SnapshotRequest
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.remote import RemoteError, TransportError
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils import samples
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

DEFAULT_ARGS = {"start": None, "count": None, "end": None, "state": "present", "protocols": ["tcp", "udp"],
                "ip_versions": ["ipv4", "ipv6"], "store": "persistent", "listener_guard": "warn"}
SET_IPV4_TCP = "netsh int ipv4 set dynamicport tcp start=10000 num=55536 store=persistent"
SET_IPV6_UDP = "netsh int ipv6 set dynamicport udp start=10000 num=55536 store=persistent"


def converge_range(host, check_mode=False, **args):
    request = dynamic_range.request_from_args({**DEFAULT_ARGS, **args})
    return converge(host.execute, request.snapshot_request(), lambda snap: dynamic_range.plan(request, snap),
                    lambda snap: dynamic_range.observe(request, snap), check_mode)


def wide(**args):
    return {"start": 10000, "end": 65535, **args}


def test_a_converged_host_costs_one_execution_and_reports_no_change():
    host = FakeHost(ranges={c: (10000, 55536) for c in FakeHost().ranges})
    result = converge_range(host, **wide())
    assert len(host.executions) == 1 and host.writes == []
    assert result["changed"] is False and result["commands"] == []
    wide_view = {"start": 10000, "count": 55536, "end": 65535}
    assert result["before"] == result["after"] == {k: wide_view for k in ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")}


def test_a_change_costs_two_executions_and_the_second_writes_then_verifies():
    host = FakeHost(ranges={**FakeHost().ranges, ("ipv4", "udp"): (10000, 55536)})
    result = converge_range(host, **wide())
    assert len(host.executions) == 2
    writes, verification = host.executions[1][:3], host.executions[1][3:]
    assert writes == [SET_IPV4_TCP, SET_IPV4_TCP.replace("ipv4", "ipv6"), SET_IPV6_UDP]
    assert host.writes == writes
    # The verification re-reads what the first batch read, minus netstat.
    assert verification == [line for line in host.executions[0] if not line.startswith("netstat")]
    assert result["changed"] is True
    assert result["after"] == result["diff"]["after"] == {k: {"start": 10000, "count": 55536, "end": 65535}
                                                          for k in ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")}
    assert result["before"]["ipv4_tcp"] == {"start": 49152, "count": 16384, "end": 65535}
    assert result["diff"]["before"] == result["before"]
    assert result["commands"] == writes
    assert all(host.ranges[c] == (10000, 55536) for c in host.ranges)


def test_check_mode_reads_once_writes_nothing_and_reports_the_diff():
    host = FakeHost()
    result = converge_range(host, check_mode=True, **wide(protocols=["tcp"], ip_versions=["ipv4"]))
    assert len(host.executions) == 1 and host.writes == []
    assert not any("set" in line for line in host.commands_run)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"ipv4_tcp": {"start": 49152, "count": 16384, "end": 65535}},
                              "after": {"ipv4_tcp": {"start": 10000, "count": 55536, "end": 65535}}}
    assert result["commands"] == [SET_IPV4_TCP]
    assert host.ranges[("ipv4", "tcp")] == (49152, 16384)


def test_a_refused_write_says_what_changed_what_was_refused_and_the_host_text():
    host = FakeHost(refusals=[("ipv6 set dynamicport udp", 1, samples.NETSH_BAD_PARAMETER)])
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide())
    message = str(caught.value)
    assert message.startswith("The host refused a change.")
    assert f"changed: '{SET_IPV4_TCP}'" in message
    assert f"refused: '{SET_IPV6_UDP}' exited 1: The parameter is incorrect." in message
    result = caught.value.result
    assert result["changed"] is True  # three of the four ranges did change
    assert result["after"]["ipv6_udp"] == {"start": 49152, "count": 16384, "end": 65535}
    assert result["after"]["ipv4_tcp"]["start"] == 10000
    assert len(host.executions) == 2 and len(host.writes) == 3


def test_after_a_refused_set_the_warnings_describe_the_ranges_the_host_has():
    # Only ipv6_tcp shrinks to 1000 ports; ipv4_tcp keeps the default range, so only ipv6_tcp may be called too small.
    host = FakeHost(refusals=[("ipv4 set dynamicport tcp", 1, samples.NETSH_BAD_PARAMETER)])
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, start=10000, count=1000, protocols=["tcp"])
    assert host.writes == [SET_IPV4_TCP.replace("ipv4", "ipv6").replace("55536", "1000")]
    assert [w for w in caught.value.result["warnings"] if "smaller than" in w] == [
        "ipv6_tcp: the dynamic range 10000-10999 (1000 ports) is smaller than the Windows default of 16384 ports."]


def test_warnings_about_the_host_after_writes_come_from_the_verification_read():
    # The host answers success and changes nothing: the verification read still shows 49152-65535 and its MaxUserPort.
    host = FakeHost(lie_about_writes=True, registry={"MaxUserPort": 65534})
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, start=10000, count=1000, ip_versions=["ipv4"], protocols=["tcp"])
    warnings = caught.value.result["warnings"]
    assert not any("smaller than" in w for w in warnings) and any("MaxUserPort=65534" in w for w in warnings)


def test_a_plan_describe_is_applied_to_the_verification_read_and_nulled_when_none_came_back():
    def planner(snap):
        plan = Plan({"ipv4_tcp": "old"}, {"ipv4_tcp": "new"}, [commands.set_dynamic_range("ipv4", "tcp", PortRange(10000, 1000), "persistent")],
                    warnings=["about the plan"], extra={"planned": 1})
        plan.leaves = snap
        plan.describe = lambda read: ([f"range {read.ranges[('ipv4', 'tcp')].start}"], {"range_start": read.ranges[("ipv4", "tcp")].start})
        return plan

    def view(snap):
        return {"ipv4_tcp": "new" if snap.ranges[("ipv4", "tcp")].start == 10000 else "old"}
    request = SnapshotRequest(combos=(("ipv4", "tcp"),))
    host = FakeHost()
    checked = converge(host.execute, request, planner, view, True)
    assert checked["warnings"] == ["range 49152", "about the plan"] and checked["range_start"] == 49152 and checked["planned"] == 1
    done = converge(host.execute, request, planner, view, False)
    assert done["warnings"] == ["range 10000", "about the plan"] and done["range_start"] == 10000 and done["planned"] == 1
    link = CutConnection(FakeHost(), cut=2, down_after=2)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        converge(link.execute, request, planner, view, False, reconnect=link.reconnect)
    assert caught.value.result["warnings"] == ["about the plan"] and caught.value.result["range_start"] is None
    assert caught.value.result["planned"] == 1


def test_when_every_write_is_refused_nothing_changed():
    host = FakeHost(refusals=[("set dynamicport", 1, samples.NETSH_ELEVATION)])
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"], protocols=["tcp"]))
    assert "changed: nothing" in str(caught.value)
    assert "exited 1: The requested operation requires elevation (Run as administrator)." in str(caught.value)
    assert caught.value.result["changed"] is False
    assert host.writes == []


def test_not_elevated_is_refused_before_any_write_and_only_warned_in_check_mode():
    host = FakeHost(elevated=False)
    with pytest.raises(TcpipValueError, match="does not run elevated"):
        converge_range(host, **wide())
    assert len(host.executions) == 1 and host.writes == []
    result = converge_range(host, check_mode=True, **wide())
    assert result["changed"] is True and any("does not run elevated" in w for w in result["warnings"])


def test_refusal_hint_is_added_to_the_message():
    host = FakeHost(refusals=[("reg add", 1, samples.REG_ACCESS_DENIED)])

    def planner(_snap):
        return Plan(before={}, after={}, commands=[commands.set_tcpip_dword("MaxUserPort", 5000)], refusal_hint="Run as an administrator.")
    with pytest.raises(ConvergeFailed) as caught:
        converge(host.execute, SnapshotRequest(), planner, lambda snap: {}, False)
    assert "ERROR: Access is denied." in str(caught.value) and str(caught.value).count("Run as an administrator.") == 1


def test_a_write_the_host_claims_but_does_not_apply_fails_verification():
    host = FakeHost(lie_about_writes=True)
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"], protocols=["tcp"]))
    message = str(caught.value)
    assert message.startswith("Every write succeeded but the host now reports")
    assert "{'ipv4_tcp': {'start': 49152, 'count': 16384, 'end': 65535}}" in message
    assert caught.value.result["changed"] is True
    assert caught.value.result["after"] == {"ipv4_tcp": {"start": 49152, "count": 16384, "end": 65535}}


def test_a_host_that_stops_mid_batch_reports_what_a_fresh_read_shows():
    host = FakeHost(crash=(2, 1))  # the write batch dies after its first command
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"]))
    message = str(caught.value)
    assert "the host's output ends after 1 of" in message and "with exit code 1" in message
    assert f"The writes that did run: changed: '{SET_IPV4_TCP}'" in message
    assert "A fresh read shows these changed: ipv4_tcp; still different from what was asked: ipv4_udp" in message
    # changed comes from the re-read (a third execution), not from the plan.
    assert len(host.executions) == 3 and caught.value.result["changed"] is True
    assert caught.value.result["applied"] == ["ipv4_tcp"] and caught.value.result["not_applied"] == ["ipv4_udp"]


def test_a_batch_cut_before_any_write_is_not_reported_as_changed():
    host = FakeHost(crash=(2, 0))
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"]))
    assert caught.value.result["changed"] is False and caught.value.result["applied"] == []
    assert host.writes == []


def test_powershell_errors_after_the_writes_are_judged_by_a_fresh_read():
    host = FakeHost(stderr=(2, "Out-Default : The pipeline has been stopped.\r\n"))
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"]))
    assert "PowerShell reported errors while running the batch" in str(caught.value)
    assert caught.value.result["changed"] is True and caught.value.result["not_applied"] == []


def test_a_task_timeout_during_the_write_batch_reports_every_write_as_possibly_applied():
    class TaskTimeoutError(BaseException):  # ansible-core's name; a BaseException before 2.19
        pass

    host = FakeHost()

    def execute(script):
        if len(host.executions) == 1:
            host.execute(script)  # the writes land, then the alarm fires
            raise TaskTimeoutError("timed out")
        return host.execute(script)
    request = dynamic_range.request_from_args({**DEFAULT_ARGS, **wide(ip_versions=["ipv4"])})
    with pytest.raises(ConvergeFailed) as caught:
        converge(execute, request.snapshot_request(), lambda snap: dynamic_range.plan(request, snap),
                 lambda snap: dynamic_range.observe(request, snap), False)
    assert len(host.writes) == 2 and caught.value.result["changed"] is True
    assert caught.value.result["may_have_applied"] == [SET_IPV4_TCP, SET_IPV4_TCP.replace(" tcp ", " udp ")]
    assert "timeout ran out" in str(caught.value)


def test_other_base_exceptions_are_not_swallowed():
    def execute(_script):
        raise KeyboardInterrupt()
    host = FakeHost()
    request = dynamic_range.request_from_args({**DEFAULT_ARGS, **wide(ip_versions=["ipv4"])})
    plan_request = request.snapshot_request()
    first = [True]

    def execute_once(script):
        if first[0]:
            first[0] = False
            return host.execute(script)
        return execute(script)
    with pytest.raises(KeyboardInterrupt):
        converge(execute_once, plan_request, lambda snap: dynamic_range.plan(request, snap), lambda snap: dynamic_range.observe(request, snap), False)


def test_powershell_errors_during_the_write_batch_list_the_writes():
    error = "Program 'netsh.exe' failed to run: The system cannot find the file specified\r\n"
    host = FakeHost(stderr=(2, error))
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"], protocols=["udp"]))
    assert "PowerShell reported errors while running the batch: Program 'netsh.exe' failed to run" in str(caught.value)
    assert "changed: 'netsh int ipv4 set dynamicport udp" in str(caught.value)


def test_a_failing_read_is_a_remote_error_and_nothing_is_written():
    host = FakeHost(stderr=(1, "At line:1 char:1\r\n+ & netsh\r\nThe term 'netsh' is not recognized\r\n"))
    with pytest.raises(RemoteError) as caught:
        converge_range(host, **wide())
    assert "The term 'netsh' is not recognized" in str(caught.value)
    assert caught.value.rc == 1 and len(host.executions) == 1 and host.writes == []


def test_missing_markers_in_the_read_say_how_far_the_output_got():
    host = FakeHost(crash=(1, 3))
    with pytest.raises(RemoteError) as caught:
        converge_range(host, **wide())
    assert ("the host's output ends after 3 of 22 commands "
            "(the last complete: 'reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters')") in str(caught.value)
    assert host.writes == []


def test_a_read_command_failing_is_named_with_its_exit_code_and_output():
    host = FakeHost(refusals=[("show excludedportrange protocol=udp", 1, "The system cannot find the file specified.\r\n")])
    with pytest.raises(RemoteError) as caught:
        converge_range(host, **wide())
    assert "'netsh int ipv4 show excludedportrange protocol=udp' exited 1: The system cannot find the file specified." in str(caught.value)


def test_plan_extra_and_warnings_reach_the_result():
    host = FakeHost(registry={"MaxUserPort": 65534})
    result = converge_range(host, check_mode=True, **wide())
    assert result["listeners_in_new_range"] == {}
    assert any("MaxUserPort=65534" in w for w in result["warnings"])
    assert result["reboot_required"] is False


def test_store_active_is_passed_through():
    host = FakeHost()
    converge_range(host, **wide(ip_versions=["ipv6"], protocols=["tcp"], store="active"))
    assert host.writes == ["netsh int ipv6 set dynamicport tcp start=10000 num=55536 store=active"]
    assert host.ranges[("ipv6", "tcp")] == (10000, 55536) and host.ranges[("ipv4", "tcp")] == (49152, 16384)


def test_plan_dataclass_defaults_are_independent():
    first, second = Plan({}, {}), Plan({}, {})
    first.commands.append(commands.netstat())
    first.warnings.append("x")
    assert second.commands == [] and second.warnings == [] and second.extra == {}
    assert PortRange(1, 1).end == 1


class CutConnection:
    """Wraps a fake host: execution number ``cut`` runs on the host, then its answer is lost (a dropped Receive);
    ``down_after`` executions fail before reaching the host (it went away)."""

    def __init__(self, host, cut, down_after=None, unreachable=True):
        self.host, self.cut, self.down_after, self.unreachable = host, cut, down_after, unreachable
        self.calls = 0
        self.reconnects = 0

    def execute(self, script):
        self.calls += 1
        if self.down_after is not None and self.calls > self.down_after:
            raise TransportError("connection refused", unreachable=True)
        answer = self.host.execute(script)
        if self.calls == self.cut:
            raise TransportError("Connection aborted: RemoteDisconnected", unreachable=self.unreachable)
        return answer

    def reconnect(self):
        self.reconnects += 1


def converge_cut(link, **args):
    request = dynamic_range.request_from_args({**DEFAULT_ARGS, **args})
    return converge(link.execute, request.snapshot_request(), lambda snap: dynamic_range.plan(request, snap),
                    lambda snap: dynamic_range.observe(request, snap), False, reconnect=link.reconnect)


def test_a_lost_write_batch_is_read_again_and_never_reported_as_a_success():
    host = FakeHost()
    link = CutConnection(host, cut=2)
    with pytest.raises(ConvergeFailed) as caught:
        converge_cut(link, **wide(ip_versions=["ipv4"]))
    message = str(caught.value)
    assert message.startswith("The connection failed while the host ran the write batch (Connection aborted: RemoteDisconnected).")
    assert "A fresh read shows these changed: ipv4_tcp, ipv4_udp; still different from what was asked: none." in message
    assert "not reported as a success" in message
    result = caught.value.result
    assert result["changed"] is True and result["applied"] == ["ipv4_tcp", "ipv4_udp"] and result["not_applied"] == []
    assert result["after"]["ipv4_tcp"]["start"] == 10000
    assert link.reconnects == 1 and link.calls == 3  # read, write batch (answer lost), one fresh read


def test_a_write_batch_cut_halfway_says_which_ranges_changed():
    host = FakeHost(crash=(2, 1))  # the host ran only the first write of the batch

    class Lost(CutConnection):
        def execute(self, script):
            self.calls += 1
            answer = self.host.execute(script)
            if self.calls == 2:
                raise TransportError("read timed out", unreachable=True)
            return answer
    link = Lost(host, cut=2)
    with pytest.raises(ConvergeFailed) as caught:
        converge_cut(link, **wide(ip_versions=["ipv4"]))
    assert caught.value.result["applied"] == ["ipv4_tcp"] and caught.value.result["not_applied"] == ["ipv4_udp"]
    assert "these changed: ipv4_tcp; still different from what was asked: ipv4_udp." in str(caught.value)


def test_when_the_host_cannot_be_read_again_every_write_it_may_have_applied_is_named():
    host = FakeHost()
    link = CutConnection(host, cut=2, down_after=2)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        converge_cut(link, **wide(ip_versions=["ipv4"], protocols=["tcp"]))
    message = str(caught.value)
    assert "Reading the host again failed too (connection refused)." in message
    assert f"The host may have applied any of: '{SET_IPV4_TCP}'." in message
    assert "Nothing was verified" in message
    assert caught.value.unreachable is True and caught.value.result["after"] is None


def test_a_service_fault_on_the_write_batch_is_not_unreachable():
    host = FakeHost()
    link = CutConnection(host, cut=2, down_after=2, unreachable=False)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        converge_cut(link, **wide(ip_versions=["ipv4"], protocols=["tcp"]))
    assert caught.value.unreachable is False


def test_the_state_delta_names_applied_and_missing_items():
    before = {"a": 1, "b": 1, "c": 1}
    assert state_delta(before, {"a": 2, "b": 1, "c": 3}, {"a": 2, "b": 2, "c": 2}) == {"applied": ["a", "c"], "not_applied": ["b", "c"]}


def test_an_unreadable_verification_after_the_writes_is_never_nothing_changed():
    # The first "show dynamicport" after the writes prints garbage: the writes ran, so a fresh read decides.
    host = FakeHost()
    original = host.run

    def run(argv):
        if argv[:5] == ["netsh", "int", "ipv4", "show", "dynamicport"] and len(host.executions) == 2:
            return 0, "garbage\r\n"
        return original(argv)
    host.run = run
    with pytest.raises(ConvergeFailed) as caught:
        converge_range(host, **wide(ip_versions=["ipv4"], protocols=["tcp"]))
    assert "The writes ran (changed: 'netsh int ipv4 set dynamicport tcp" in str(caught.value)
    assert "A fresh read shows these changed: ipv4_tcp" in str(caught.value)
    assert caught.value.result["changed"] is True and len(host.writes) == 1

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
import tree_sitter
import tree_sitter_powershell

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands, remote

NONCE = "0123456789abcdef"
READS = [commands.show_dynamic_range("ipv4", "tcp"), commands.query_tcpip_parameters(), commands.query_os_build(), commands.netstat()]
# win_port_info's extra reads: the event query is the one token with quotes (doubled inside a single-quoted string).
EVENT_READS = [commands.query_tcpip_events(4227, 7), commands.query_tcpip_events(4231, 365), commands.tasklist()]
WRITES = [commands.set_dynamic_range("ipv6", "udp", PortRange(20000, 40000)), commands.delete_tcpip_value("MaxUserPort"),
          commands.winnat("stop"), commands.add_excluded_range("ipv4", "tcp", PortRange(50000, 60)), commands.winnat("start")]
RANGE_TEXT = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"


def _syntax_errors(script: str) -> list[str]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    tree = parser.parse(script.encode("utf-8"))
    errors = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            errors.append(f"{node.type} at {node.start_point}: {script.encode()[node.start_byte:node.end_byte]!r}")
        stack.extend(node.children)
    return errors


@pytest.mark.parametrize("batch", [READS, WRITES + READS, EVENT_READS + READS])
def test_batch_parses_as_powershell(batch):
    script = remote.build_batch(batch, NONCE)
    assert not _syntax_errors(script)
    assert "ErrorActionPreference" not in script  # 5.1 would turn native stderr into terminating errors
    assert script.count("2>&1") == len(batch)


def test_the_grammar_check_can_fail():
    assert _syntax_errors("& netsh int ipv4 show dynamicport tcp 2>&1\nWrite-Output \"unterminated\n")


def test_split_gives_each_command_its_output_and_exit_code():
    stdout = (RANGE_TEXT + f"{remote.MARKER_PREFIX}_{NONCE}_0_0\r\n"
              + "ERROR: The system was unable to find the specified registry key or value.\r\n"
              + f"{remote.MARKER_PREFIX}_{NONCE}_1_1\r\n")
    outputs = remote.split_batch_output(READS[:2], NONCE, 0, stdout, "")
    assert [o.exit_code for o in outputs] == [0, 1]
    assert outputs[0].output == RANGE_TEXT
    assert not outputs[1].ok and "unable to find" in outputs[1].describe()


def test_output_cut_short_says_how_far_it_got_not_what_came_next():
    stdout = RANGE_TEXT + f"{remote.MARKER_PREFIX}_{NONCE}_0_0\r\n"
    with pytest.raises(remote.RemoteError) as caught:
        remote.split_batch_output(READS, NONCE, 1, stdout, "")
    message = str(caught.value)
    assert message.startswith("the host's output ends after 1 of 4 commands (the last complete: 'netsh int ipv4 show dynamicport tcp')")
    assert "no error text" in message and "reg query" not in message
    assert [o.exit_code for o in caught.value.outputs] == [0]


@pytest.mark.parametrize("stderr", [
    "The command line is too long.\r\n",  # cmd.exe, before PowerShell starts (KB 830473)
    "At line:1 char:9\r\n+ & netsh (\r\n+         ~\r\nMissing closing ')' in expression.\r\n",
])
def test_a_script_the_host_refused_is_reported_in_the_hosts_words(stderr):
    with pytest.raises(remote.RemoteError) as caught:
        remote.split_batch_output(READS, NONCE, 1, "", stderr)
    message = str(caught.value)
    assert message.startswith("the host stopped the script before running any of its 4 commands (exit code 1) and said: ")
    assert message.endswith(stderr.strip())
    assert "netsh int" not in message.split(" and said: ", maxsplit=1)[0] and caught.value.outputs == ()


def test_markers_with_another_nonce_are_plain_output():
    forged = f"{remote.MARKER_PREFIX}_ffffffffffffffff_0_0\r\n"
    stdout = forged + f"{remote.MARKER_PREFIX}_{NONCE}_0_0\r\n"
    outputs = remote.split_batch_output(READS[:1], NONCE, 0, stdout, "")
    assert outputs[0].output == forged


def test_out_of_order_markers_are_refused():
    stdout = f"{remote.MARKER_PREFIX}_{NONCE}_1_0\r\n"
    with pytest.raises(remote.RemoteError, match="out of order"):
        remote.split_batch_output(READS[:2], NONCE, 0, stdout, "")


def test_powershell_errors_fail_the_batch_but_keep_what_ran():
    stdout = f"{remote.MARKER_PREFIX}_{NONCE}_0_0\r\n"
    with pytest.raises(remote.RemoteError, match="PowerShell reported errors") as caught:
        remote.split_batch_output(READS[:1], NONCE, 1, stdout, "netsh : The term 'netsh' is not recognized")
    assert len(caught.value.outputs) == 1


def test_run_batch_sends_one_script():
    sent = []

    def execute(script):
        sent.append(script)
        nonce = script.split(f"{remote.MARKER_PREFIX}_")[1][:16]
        return 0, f"{remote.MARKER_PREFIX}_{nonce}_0_0\r\n", ""

    outputs = remote.run_batch(execute, READS[:1])
    assert len(sent) == 1 and outputs[0].ok
    with pytest.raises(ValueError):
        remote.build_batch(READS, "not-a-nonce")


def test_dependent_groups_skip_every_later_group_after_a_failure_and_always_run_the_rest():
    from portscale_winsim.model import HostModel
    from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost
    from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

    groups = [2, 1, 2]  # WRITES[:2], WRITES[2:3], WRITES[3:5]; READS always run
    script = remote.build_batch(WRITES + READS, NONCE, groups)
    assert _syntax_errors(script) == []
    model = HostModel.create("h", profile="server2022")
    model.inject_command_failure("delete", 1, stdout=b"ERROR: Access is denied.\r\n")  # the 2nd command of the 1st group
    fake = FakeHost(refusals=[("delete", 1, "ERROR: Access is denied.\r\n")])
    for execute in (SimHost(model).execute, fake.execute):
        outputs = remote.run_batch(execute, WRITES + READS, groups)
        # The failed group still runs to its end (within a group nothing is skipped); every later group is skipped.
        assert [(o.ok, o.skipped) for o in outputs[:5]] == [(True, False), (False, False), (False, True), (False, True), (False, True)]
        assert outputs[2].describe() == f"'{WRITES[2]}' was not run"
        assert all(o.ok for o in outputs[5:]) and len(outputs) == len(WRITES + READS)
    with pytest.raises(ValueError):
        remote.build_batch(WRITES, NONCE, [3, 3])

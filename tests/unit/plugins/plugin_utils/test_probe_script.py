# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe's PowerShell: it parses with a real PowerShell grammar, follows the contract's framing exactly, stays
within Windows PowerShell 5.1, and has the structure that makes it safe (deadline, abortive close in finally)."""

from __future__ import annotations

import json
import re

import pytest
import tree_sitter
import tree_sitter_powershell

from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import probe_script
from portscale_winsim import probe as simulated

PARAMS = {"schema": 1, "count": 4000, "timeout_ms": 30000, "target_host": "127.0.0.1", "target_port": 0,
          "reuse_unicast_port": True, "port_scalability": False, "local_addresses": ["127.0.0.1", "127.0.0.2"], "ip_version": 4}
V6_PARAMS = dict(PARAMS, target_host="::1", local_addresses=["::1"], ip_version=6, reuse_unicast_port=False)


def syntax_errors(script):
    tree = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language())).parse(script.encode("utf-8"))
    errors, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            errors.append(f"{node.type} at {node.start_point}")
        stack.extend(node.children)
    return errors


def code_lines(script):
    """The script without comment lines, for checks on what PowerShell runs."""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


@pytest.mark.parametrize("params", [PARAMS, V6_PARAMS])
def test_the_script_parses_as_powershell(params):
    assert syntax_errors(probe_script.render(params)) == []


def test_the_grammar_check_catches_a_broken_script():
    broken = probe_script.render(PARAMS).replace("} finally {", "} finally {{", 1)
    assert syntax_errors(broken)


def test_contract_constants_match_the_simulator():
    assert probe_script.PROBE_HEADER == simulated.PROBE_HEADER
    assert probe_script.PARAMS_VARIABLE == simulated.PARAMS_VARIABLE
    assert probe_script.RESULT_MARKER == simulated.RESULT_MARKER
    assert probe_script.SCHEMA_VERSION == simulated.SCHEMA_VERSION
    assert (probe_script.MAX_COUNT, probe_script.MAX_TIMEOUT_MS, probe_script.MAX_LOCAL_ADDRESSES) == \
        (simulated.MAX_COUNT, simulated.MAX_TIMEOUT_MS, simulated.MAX_LOCAL_ADDRESSES)
    assert set(probe_script.PARAM_KEYS) == set(simulated.PARAM_TYPES)


def test_framing_header_first_and_exactly_one_parameter_line():
    script = probe_script.render(PARAMS)
    assert script.splitlines()[0] == probe_script.PROBE_HEADER
    assert simulated.is_probe_script(script)
    assert len([line for line in script.splitlines() if line.lstrip().startswith("$PortscaleProbeParams")]) == 1
    assert script.count("$PortscaleProbeParams =") == 1
    assert simulated.parse_probe_script(script) == PARAMS
    # Ansible's PowerShell shell may prepend this line; the script is still a probe.
    assert simulated.is_probe_script("Set-StrictMode -Version Latest\n" + script)


def test_the_parameters_are_the_only_variable_part():
    first, second = probe_script.render(PARAMS), probe_script.render(V6_PARAMS)
    differing = [(a, b) for a, b in zip(first.splitlines(), second.splitlines()) if a != b]
    assert len(differing) == 1 and differing[0][0].startswith("$PortscaleProbeParams = '")


def test_single_quotes_in_the_json_are_doubled():
    assert probe_script.powershell_single_quoted("{\"a\":\"it's\"}") == "{\"a\":\"it''s\"}"
    line = "$PortscaleProbeParams = '" + probe_script.powershell_single_quoted(json.dumps({"x": "a'b"})) + "'"
    assert simulated.parse_probe_script(probe_script.PROBE_HEADER + "\n" + line) == {"x": "a'b"}


def test_render_refuses_missing_or_extra_keys():
    with pytest.raises(ValueError):
        probe_script.render({k: v for k, v in PARAMS.items() if k != "count"})
    with pytest.raises(ValueError):
        probe_script.render(dict(PARAMS, extra=1))


@pytest.mark.parametrize("construct", [
    r"::new\(", r"\?\?", r"\?\.", r"-AsHashtable", r"-EnumsAsStrings", r"-Parallel", r"&&", r"\|\|", r"\bclass\s", r"\busing\s",
    r"\$PSStyle", r"Write-Host", r"-NoEnumerate",
])
def test_no_powershell_7_only_or_noisy_constructs(construct):
    assert re.search(construct, code_lines(probe_script.SCRIPT_TEMPLATE)) is None


def test_no_ternary_operator():
    # A "?" between spaces is PowerShell 7's ternary; 5.1 has none.
    assert re.search(r"\s\?\s", code_lines(probe_script.SCRIPT_TEMPLATE)) is None


def test_socket_options_bind_and_connect():
    body = probe_script.SCRIPT_TEMPLATE
    assert "[System.Enum]::ToObject([System.Net.Sockets.SocketOptionName], 0x3007)" in body
    assert "[System.Enum]::ToObject([System.Net.Sockets.SocketOptionName], 0x3006)" in body
    assert "$localIps[$i % $addressCount], 0" in body                                  # explicit bind, port 0, round robin
    assert re.search(r"BeginConnect\(.*\n.*WaitOne\(\[int\]\$remaining\)", body)       # each connect bounded by the time left


def test_deadline_is_checked_before_every_attempt():
    loop = probe_script.SCRIPT_TEMPLATE.split("for ($i = 0; $i -lt $count; $i++) {", 1)[1]
    first_statement = loop.strip().splitlines()[0]
    assert first_statement == "if ($stopwatch.ElapsedMilliseconds -ge $timeoutMs) {"


def test_every_socket_is_closed_in_finally_with_an_abortive_close():
    body = probe_script.SCRIPT_TEMPLATE
    finally_block = body.split("} finally {", 1)[1].split("# ---- the one result line", 1)[0]
    assert "LingerOption -ArgumentList $true, 0" in finally_block
    assert "foreach ($client in $clients)" in finally_block and "$client.Close()" in finally_block
    assert "$current.Close()" in finally_block                  # the socket of a failed or timed-out attempt
    assert "$listener.Stop()" in finally_block and "foreach ($socket in $accepted)" in finally_block
    # Clients first (RST, no TIME_WAIT), then the listener, then the accepted sockets (contract §4).
    assert finally_block.index("$client.Close()") < finally_block.index("$listener.Stop()") < finally_block.index("$socket.Close()")


def test_errors_are_unwrapped_to_the_socket_exception():
    body = probe_script.SCRIPT_TEMPLATE
    assert "-is [System.Net.Sockets.SocketException]" in body and "InnerException" in body
    assert "code = $failure.ErrorCode; name = [string]$failure.SocketErrorCode; message = $failure.Message" in body


def test_the_listener_accepts_as_connections_arrive():
    body = probe_script.SCRIPT_TEMPLATE
    assert "$listener.Pending()" in body and "$listener.AcceptSocket()" in body


def test_exactly_one_marker_line_is_written_to_the_output_stream_and_nothing_else():
    body = code_lines(probe_script.SCRIPT_TEMPLATE)
    assert body.count("PORTSCALE-PROBE-RESULT ") == 1
    assert body.count("Write-Output") == 1
    assert "Write-Output ('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4))" in body
    # [Console]::Out reaches stdout from powershell.exe but is lost in a psrp runspace (PowerShell/PowerShell#20054).
    assert "[Console]::" not in body and "Write-Host" not in body
    result_keys = re.findall(r"^\s{4}(\w+) = ", body.split("$result = [ordered]@{", 1)[1].split("}", 1)[0], re.MULTILINE)
    assert set(result_keys) == {"schema", "requested", "opened", "closed", "first_failure_index", "error", "timed_out", "elapsed_ms",
                                "rate_per_sec", "local_port_min", "local_port_max", "addresses_used", "opened_per_address",
                                "listener_port", "target"}


def test_invalid_parameters_throw_with_the_contract_prefix():
    body = probe_script.SCRIPT_TEMPLATE
    assert 'throw "portscale probe: $Reason"' in body
    for bound in ("1 200000", "1 600000", "0 65535"):
        assert bound in body
    assert "-gt 64" in body

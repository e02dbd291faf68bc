# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_validation: the port_capacity role's variables judged by the modules' own validators, and its plan step's
refusals, in the role's terms (issue 14, items 1, 2 and 5)."""

from __future__ import annotations

import pathlib
import re


import pytest
import yaml

from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import excluded_ranges
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.converge import NOT_ELEVATED
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.probe import MAX_FREE_SHARE
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import role_apply, role_validation
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.role_validation import (
    in_role_terms,
    plain_data,
    plan_refusals,
    role_variables,
    unknown_variable_warnings,
    variable_problems,
    wanted_ranges,
)
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows import facts
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.facts import DYNAMIC_COUNT_MIN, DYNAMIC_START_MIN, PORT_MAX
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.probe_script import MAX_COUNT, MAX_TIMEOUT_MS

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "port_capacity"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
ARGUMENT_SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
# The issue's setting: enforce mode with a TcpTimedWaitDelay to write.
ENFORCE = {**DEFAULTS, "port_capacity_mode": "enforce", "port_capacity_tcp_timed_wait_delay": 30}


def problems(reboot_module_found=True, **changes):
    return variable_problems({**ENFORCE, **changes}, reboot_module_found)


class _Tagged(str):
    """Stands for ansible-core's tagged and lazy types: subclasses of the plain ones that carry more than their value."""


class _LazyList(list):
    def __deepcopy__(self, memo):
        raise AssertionError("the validation deep-copied a lazy container (its whole templating context on ansible-core 2.19+)")


class _LazyDict(dict):
    def __deepcopy__(self, memo):
        raise AssertionError("the validation deep-copied a lazy container")


def test_the_variables_are_judged_as_plain_data():
    exclusions = _LazyList([_LazyDict(start=7100, end=7109), _LazyDict(start=7105, end=7114)])
    given = _LazyDict({**ENFORCE, "port_capacity_exclusions": exclusions, "port_capacity_mode": _Tagged("enforce")})
    assert variable_problems(given) == [
        "port_capacity_exclusions: 7100-7109 (10 ports) and 7105-7114 (10 ports) overlap; listed ranges must not overlap each other."]
    plain = plain_data({"a": _LazyList([_Tagged("x"), True, 3, 1.5, None, (1, 2)])})
    assert plain == {"a": ["x", True, 3, 1.5, None, [1, 2]]}
    assert [type(item) for item in plain["a"]] == [str, bool, int, float, type(None), list]
    # Other types are left for the validation to name.
    marker = object()
    assert plain_data([marker])[0] is marker


def test_the_defaults_are_valid():
    assert problems() == []
    assert variable_problems(DEFAULTS, reboot_module_found=False) == []


@pytest.mark.parametrize("changes, message", [
    ({"port_capacity_exclusions": [{"start": 7100, "end": 7109}, {"start": 7105, "end": 7114}]},
     "port_capacity_exclusions: 7100-7109 (10 ports) and 7105-7114 (10 ports) overlap; listed ranges must not overlap each other."),
    ({"port_capacity_probe_count": 250000},
     f"port_capacity_probe_count=250000 is not valid: the probe opens at most {MAX_COUNT} connections, and with "
     f"port_capacity_probe_min_success null all of the count must open; give a count from 1 to {MAX_COUNT}, or a "
     f"port_capacity_probe_min_success of at most {MAX_COUNT}."),
    ({"port_capacity_exclusions": [{"start": 7100, "count": 10}], "port_capacity_exclusion_protocols": []},
     "port_capacity_exclusion_protocols: name at least one of each (port_capacity_exclusion_ip_versions: ipv4, ipv6; "
     "port_capacity_exclusion_protocols: tcp, udp)."),
    ({"port_capacity_ranges": {"ipv4_tcp": None}},
     "port_capacity_ranges.ipv4_tcp=null is not valid: give {start, count} or {start, end}, or leave ipv4_tcp out of "
     "port_capacity_ranges to leave that range alone (port_capacity_range is null)."),
    ({"port_capacity_range": {"start": 10000, "end": 65535}, "port_capacity_ranges": {"ipv6_udp": None}},
     "port_capacity_ranges.ipv6_udp=null is not valid: give {start, count} or {start, end}, or leave ipv6_udp out of "
     "port_capacity_ranges to have it follow port_capacity_range."),
], ids=["overlapping exclusions", "probe count over the cap", "no exclusion protocol", "null range", "null range with a common one"])
def test_the_issue_inputs_are_refused_before_the_host_is_read(changes, message):
    assert problems(**changes) == [message]


def test_reboot_allowed_needs_win_reboot_in_enforce_mode_only():
    refused = problems(reboot_module_found=False, port_capacity_reboot="allowed")
    assert refused == ["port_capacity_reboot=allowed needs the ansible.windows collection on the controller (ansible.windows.win_reboot "
                       "does not resolve here): install it (ansible-galaxy collection install ansible.windows), or set "
                       "port_capacity_reboot: never to report the pending reboot instead."]
    assert problems(reboot_module_found=True, port_capacity_reboot="allowed") == []
    # Audit never reboots, and never needs the collection; nor does "never".
    assert problems(reboot_module_found=False, port_capacity_reboot="allowed", port_capacity_mode="audit") == []
    assert problems(reboot_module_found=False, port_capacity_reboot="never") == []


@pytest.mark.parametrize("value", ["absent", "ABSENT", " Absent ", None, 5000, "65534"])
def test_max_user_port_accepts_what_the_module_accepts(value):
    assert problems(port_capacity_max_user_port=value) == []
    if isinstance(value, str) and value.strip().lower() == "absent":
        # "ABSENT" with a TCP range is no conflict: it removes the value.
        assert problems(port_capacity_max_user_port=value, port_capacity_range={"start": 10000, "end": 65535}) == []


def test_max_user_port_conflicts_with_a_wanted_tcp_range_only():
    tcp = problems(port_capacity_max_user_port="60000", port_capacity_ranges={"ipv6_tcp": {"start": 10000, "end": 65535}})
    assert tcp == ['port_capacity_max_user_port="60000" conflicts with the wanted TCP range (port_capacity_ranges.ipv6_tcp): MaxUserPort '
                   "rewrites the TCP range to 1024-60000 at every boot. Set it to 'absent', or do not manage the TCP range."]
    assert problems(port_capacity_max_user_port=60000, port_capacity_ranges={"ipv4_udp": {"start": 10000, "end": 65535}}) == []


def test_each_problem_is_named_by_its_variable():
    found = problems(port_capacity_range={"start": 1024, "count": 100}, port_capacity_tcp_timed_wait_delay=301,
                     port_capacity_exclusions=[{"start": 5000, "count": 0}], port_capacity_probe_max_free_share=95,
                     port_capacity_probe_timeout=0)
    assert found == [
        "port_capacity_range.start=1024 is not valid: the start port must be between 1025 and 65535.",
        "port_capacity_tcp_timed_wait_delay=301 is not valid: valid values are 2-300, or 'absent' to remove the value.",
        "port_capacity_exclusions[0].count=0 is not valid: an exclusion holds at least 1 port.",
        "port_capacity_probe_timeout=0 is not valid: give at least 1 second (more than 600 is reduced to 600).",
    ]
    assert problems(port_capacity_probe_max_free_share=95) == [
        "port_capacity_probe_max_free_share=95 is not valid: a percentage from 1 to 90 (a probe leaves the host at least 10% of its "
        "free ports; to go further, set port_capacity_probe_allow_exhaustion: true)."]


def test_a_range_given_by_key_is_judged_once_per_variable():
    found = problems(port_capacity_range={"start": 10000, "count": 100},
                     port_capacity_ranges={"ipv4_tcp": {"start": 65400, "end": 65535}, "ipv6_tcp": {"start": 10000, "end": 65535}})
    assert found == ["port_capacity_ranges.ipv4_tcp.end=65535 is not valid: a dynamic range holds at least 255 ports (got 136).",
                     "port_capacity_range.count=100 is not valid: a dynamic range holds at least 255 ports (got 100)."]


def test_unused_settings_are_not_judged():
    # No exclusion task runs without exclusions or purge, and no probe without port_capacity_probe.
    assert problems(port_capacity_exclusion_protocols=[]) == []
    assert problems(port_capacity_probe=False, port_capacity_probe_count=0) == []
    assert problems(port_capacity_probe="no", port_capacity_probe_count=0) == []   # as the role's "| bool" reads it
    assert problems(port_capacity_exclusions=[], port_capacity_exclusions_purge=True, port_capacity_exclusion_ip_versions=[]) == [
        "port_capacity_exclusion_ip_versions: name at least one of each (port_capacity_exclusion_ip_versions: ipv4, ipv6; "
        "port_capacity_exclusion_protocols: tcp, udp)."]


def test_too_many_exclusions_is_the_modules_limit():
    listed = [{"start": 1 + 2 * i, "count": 1} for i in range(excluded_ranges.MAX_RANGES + 1)]
    assert problems(port_capacity_exclusions=listed[:-1]) == []
    assert problems(port_capacity_exclusions=listed) == [
        f"port_capacity_exclusions: {excluded_ranges.MAX_RANGES + 1} ranges listed; the role applies at most {excluded_ranges.MAX_RANGES} "
        "(win_excluded_port_range's limit for one task)."]


# The limits are the modules': on each side of each one, the role and the module agree.
@pytest.mark.parametrize("changes, valid", [
    ({"port_capacity_range": {"start": DYNAMIC_START_MIN, "count": DYNAMIC_COUNT_MIN}}, True),
    ({"port_capacity_range": {"start": DYNAMIC_START_MIN - 1, "count": DYNAMIC_COUNT_MIN}}, False),
    ({"port_capacity_range": {"start": PORT_MAX - DYNAMIC_COUNT_MIN + 1, "end": PORT_MAX}}, True),
    ({"port_capacity_range": {"start": PORT_MAX - DYNAMIC_COUNT_MIN + 2, "end": PORT_MAX}}, False),
    ({"port_capacity_max_user_port": facts.MAX_USER_PORT_LIMITS[0]}, True),
    ({"port_capacity_max_user_port": facts.MAX_USER_PORT_LIMITS[0] - 1}, False),
    ({"port_capacity_max_user_port": facts.MAX_USER_PORT_LIMITS[1]}, True),
    ({"port_capacity_max_user_port": facts.MAX_USER_PORT_LIMITS[1] + 1}, False),
    ({"port_capacity_tcp_timed_wait_delay": facts.TIMED_WAIT_DELAY_LIMITS[0]}, True),
    ({"port_capacity_tcp_timed_wait_delay": facts.TIMED_WAIT_DELAY_LIMITS[0] - 1}, False),
    ({"port_capacity_tcp_timed_wait_delay": facts.TIMED_WAIT_DELAY_LIMITS[1] + 1}, False),
    ({"port_capacity_probe_count": MAX_COUNT}, True),
    ({"port_capacity_probe_count": MAX_COUNT + 1}, False),
    ({"port_capacity_probe_count": MAX_COUNT + 1, "port_capacity_probe_min_success": MAX_COUNT}, True),  # reduced to the cap
    ({"port_capacity_probe_count": MAX_COUNT + 1, "port_capacity_probe_min_success": MAX_COUNT + 1}, False),
    ({"port_capacity_probe_max_free_share": MAX_FREE_SHARE}, True),
    ({"port_capacity_probe_max_free_share": MAX_FREE_SHARE + 1}, False),
    ({"port_capacity_probe_timeout": MAX_TIMEOUT_MS // 1000 + 1}, True),  # reduced to the cap
])
def test_the_limits_are_the_modules(changes, valid):
    assert (problems(**changes) == []) is valid, problems(**changes)


def test_the_argument_spec_states_the_modules_limits():
    """The role's documentation repeats the limits; they must be the modules' own numbers."""
    options = ARGUMENT_SPECS["argument_specs"]["main"]["options"]
    text = {name: " ".join(option["description"] if isinstance(option["description"], list) else [option["description"]])
            for name, option in options.items()}
    assert f"at most {MAX_COUNT:,}" in text["port_capacity_probe_count"]
    assert f"(1 to {MAX_FREE_SHARE})" in text["port_capacity_probe_max_free_share"]
    assert f"at most {MAX_TIMEOUT_MS // 1000}" in text["port_capacity_probe_timeout"]
    assert f"at most {excluded_ranges.MAX_RANGES} blocks" in text["port_capacity_exclusions"]
    low, high = facts.MAX_USER_PORT_LIMITS
    assert f"from {low} to {high}" in text["port_capacity_max_user_port"]
    modern, older = facts.TIMED_WAIT_DELAY_LIMITS, facts.TIMED_WAIT_DELAY_LIMITS_LEGACY
    assert f"{modern[0]} to {modern[1]}" in text["port_capacity_tcp_timed_wait_delay"]
    assert f"{older[0]} to {older[1]} before" in text["port_capacity_tcp_timed_wait_delay"]
    assert f"at least {DYNAMIC_START_MIN}" in text["port_capacity_range"] and f"at least {DYNAMIC_COUNT_MIN}" in text["port_capacity_range"]


def test_the_role_repeats_no_limit_in_jinja():
    """The tasks and vars judge nothing themselves: the limits are the modules' (through port_capacity_problems)."""
    limits = {str(n) for n in (MAX_COUNT, MAX_FREE_SHARE, excluded_ranges.MAX_RANGES, DYNAMIC_START_MIN, DYNAMIC_COUNT_MIN,
                               *facts.MAX_USER_PORT_LIMITS, *facts.TIMED_WAIT_DELAY_LIMITS_LEGACY)}
    for path in [*(ROLE / "tasks").glob("*.yml"), ROLE / "vars" / "main.yml"]:
        jinja = " ".join(re.findall(r"\{\{.*?\}\}|\{%.*?%\}", path.read_text(encoding="utf-8"), re.S))
        numbers = set(re.findall(r"\b\d+\b", jinja))
        assert not numbers & limits, (path.name, numbers & limits)


@pytest.mark.parametrize("common, per_range", [
    (None, {}),
    ({"start": 10000, "end": 65535}, {}),
    (None, {"ipv4_tcp": {"start": 10000, "end": 65535}}),
    ({"start": 10000, "end": 65535}, {"ipv6_udp": {"start": 20000, "count": 1000}}),
    ({"start": 10000, "end": 65535}, {key: {"start": 20000, "count": 1000} for key in role_validation.RANGE_KEYS}),
])
def test_the_role_manages_the_ranges_it_validates(common, per_range):
    """role_apply.settings (the ranges port_capacity_apply sets) and wanted_ranges (the ranges the validation judges)
    agree."""
    values = {"port_capacity_range": common, "port_capacity_ranges": per_range, "port_capacity_listener_guard": "warn"}
    items = [s.item for s in role_apply.settings(values, legacy=False) if s.kind == "ranges"]
    judged = wanted_ranges(values)
    assert [(item["key"], item["range"]) for item in items] == [(key, wanted) for key, _variable, wanted in judged]


class Recording(dict):
    """The role's variables, remembering which ones a check reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_the_role_hands_over_every_variable_the_checks_read():
    values = Recording({**ENFORCE, "port_capacity_exclusions": [{"start": 7100, "count": 1}], "port_capacity_reboot": "allowed",
                        "port_capacity_range": {"start": 10000, "end": 65535}, "port_capacity_max_user_port": 60000})
    variable_problems(values)
    assert values.read <= set(ROLE_VARS["__port_capacity_variables"]), values.read - set(ROLE_VARS["__port_capacity_variables"])
    assert set(ROLE_VARS["__port_capacity_variables"]) <= role_variables(ARGUMENT_SPECS)


def test_every_default_is_a_documented_variable():
    assert set(DEFAULTS) <= role_variables(ARGUMENT_SPECS)
    assert "port_capacity_summary" in role_variables(ARGUMENT_SPECS)   # the fact the role sets
    assert role_variables(None) == {"port_capacity_summary"}


def test_misspelt_variables_are_warned_about_with_the_closest_name():
    known = role_variables(ARGUMENT_SPECS)
    warnings = unknown_variable_warnings(["port_capacity_rang", "port_capacity_range", "port_capacity_probe_cout", "port_capacity_summary",
                                          "port_capacity_team", "ansible_host", "port_capacity_rang"], known)
    assert warnings == [
        "port_capacity_probe_cout is not a variable of the portscale.tcpip.port_capacity role and is ignored; did you mean "
        "port_capacity_probe_count?",
        "port_capacity_rang is not a variable of the portscale.tcpip.port_capacity role and is ignored; did you mean port_capacity_range?",
        "port_capacity_team is not a variable of the portscale.tcpip.port_capacity role and is ignored; see ansible-doc -t role "
        "portscale.tcpip.port_capacity for its variables.",
    ]
    assert unknown_variable_warnings(list(DEFAULTS), known) == []


@pytest.mark.parametrize("message, names, renamed", [
    ("ranges[1].count=0 is not valid: an exclusion holds at least 1 port", role_validation.EXCLUSION_NAMES,
     "port_capacity_exclusions[1].count=0 is not valid: an exclusion holds at least 1 port"),
    ("ranges: ipv4_tcp 50000-50009 (10 ports) overlaps 50000-50099 (100 ports): ...; set winnat_restart=true to stop the winnat service",
     role_validation.EXCLUSION_NAMES,
     "port_capacity_exclusions: ipv4_tcp 50000-50009 (10 ports) overlaps 50000-50099 (100 ports): ...; set port_capacity_winnat_restart=true "
     "to stop the winnat service"),
    ("ranges 5000-5009 (10 ports): ipv4_tcp: it overlaps the administered exclusion 5005-5014 (10 ports); remove that one first, or set "
     "purge=true", role_validation.EXCLUSION_NAMES,
     "port_capacity_exclusions 5000-5009 (10 ports): ipv4_tcp: it overlaps the administered exclusion 5005-5014 (10 ports); remove that one "
     "first, or set port_capacity_exclusions_purge=true"),
    ("listener_guard=fail: refusing the change: the new range ...", role_validation.RANGE_NAMES,
     "port_capacity_listener_guard=fail: refusing the change: the new range ..."),
    ("host: Windows build 3790 has no netsh excluded port ranges", role_validation.EXCLUSION_NAMES,
     "host: Windows build 3790 has no netsh excluded port ranges"),
    # An option named inside a sentence without its value is a word, not a setting.
    ("count=254 is not valid: start + count must be at most 65536", {"count": "port_capacity_range.count"},
     "port_capacity_range.count=254 is not valid: start + count must be at most 65536"),
])
def test_messages_are_said_in_the_roles_terms(message, names, renamed):
    assert in_role_terms(message, names) == renamed


def refused(msg):
    """A plan result as the role registers it: failed_when: false resets failed, the message stays."""
    return {"changed": False, "failed": False, "failed_when_result": False, "msg": msg}


def test_plan_refusals_name_the_roles_variables():
    results = {
        "win_tcpip_parameters": {"changed": True, "before": {}, "after": {}},
        "win_excluded_port_range": refused("ranges: ports to exclude are in use on the host (ipv4_tcp: 445); Windows refuses to exclude a "
                                           "port that a socket holds: stop the service that holds them or pick other ports, then retry. "
                                           "Nothing was changed."),
        "win_dynamic_port_range": {"changed": False, "results": [
            refused("listener_guard=fail: refusing the change: the new range 5000-65535 (60536 ports) covers ports that services on the "
                    "host listen on (ipv4_udp: 5353); Windows may hand those ports to outbound connections while the service is stopped. "
                    "Nothing was changed."),
            {"skipped": True, "changed": False, "item": "ipv6_tcp"}]},
    }
    assert plan_refusals(results, writing=True) == [
        "port_capacity_exclusions: ports to exclude are in use on the host (ipv4_tcp: 445); Windows refuses to exclude a port that a "
        "socket holds: stop the service that holds them or pick other ports, then retry.",
        "port_capacity_listener_guard=fail: refusing the change: the new range 5000-65535 (60536 ports) covers ports that services on the "
        "host listen on (ipv4_udp: 5353); Windows may hand those ports to outbound connections while the service is stopped.",
    ]


def test_a_plan_without_refusal_passes():
    assert plan_refusals({"win_tcpip_parameters": {"changed": True}, "win_excluded_port_range": {"skipped": True, "changed": False},
                          "win_dynamic_port_range": {"results": [], "skipped": True}}, writing=True) == []
    assert plan_refusals({}) == []


def test_a_message_about_something_else_is_named_by_its_module():
    results = {"win_excluded_port_range": {"failed": True, "msg": "host: Windows build 3790 has no netsh excluded port ranges. Nothing was changed."},
               "win_tcpip_parameters": refused("unexpected answer from the host: a read command failed. ...")}
    assert plan_refusals(results) == ["win_excluded_port_range: host: Windows build 3790 has no netsh excluded port ranges.",
                                      "win_tcpip_parameters: unexpected answer from the host: a read command failed. ..."]


def test_an_account_that_is_not_elevated_is_refused_before_the_first_write():
    warning = f"win1: {NOT_ELEVATED[0].upper()}{NOT_ELEVATED[1:]}."
    # In enforce mode the role resets the plan's "changed" (changed_when): its commands say what it would write.
    results = {"win_tcpip_parameters": {"changed": False, "commands": ["reg add ..."], "warnings": [warning]},
               "win_excluded_port_range": {"changed": False, "commands": [], "warnings": [warning]},
               # ansible-core 2.19 gathers a loop's warnings on the loop's result
               "win_dynamic_port_range": {"changed": False, "warnings": [warning], "results": [{"commands": ["netsh ..."], "item": {"key": "all"}}]}}
    assert plan_refusals(results, writing=True) == [
        f"host: win_tcpip_parameters, win_dynamic_port_range would change settings, but {NOT_ELEVATED}."]
    # Audit and check mode write nothing: the modules' warnings are enough there.
    assert plan_refusals(results, writing=False) == []
    # Nothing to change: nothing to refuse.
    assert plan_refusals({"win_tcpip_parameters": {"changed": False, "commands": [], "warnings": [warning]}}, writing=True) == []


def test_module_args_are_the_modules_argument_spec():
    from ansible_collections.portscale.tcpip.plugins.modules.win_excluded_port_range import DOCUMENTATION  # pylint: disable=import-outside-toplevel

    args = role_validation.module_args(DOCUMENTATION, {"ranges": [{"start": "7100", "count": 10}]})
    assert args["ranges"] == [{"start": 7100, "count": 10, "end": None}] and args["store"] == "persistent" and args["state"] == "present"
    with pytest.raises(role_validation.TcpipValueError, match=r"^arguments: .*colour"):
        role_validation.module_args(DOCUMENTATION, {"colour": "blue"})

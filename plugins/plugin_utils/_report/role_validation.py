# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_capacity role's checks, judged by the modules' own validators and said in the role's terms.

Two moments, both before the role writes anything to a host:

* ``variable_problems``: everything that can be judged without the host. Each wanted setting is turned into the
  arguments the role's task will pass, completed with the module's documented defaults, checked against the module's
  argument spec and handed to the module's ``request_from_args`` (or, for a range, ``dynamic_range_to_set``): the limits
  live once, in the modules, and the role cannot drift from them. Then the few combinations only the role makes (a
  MaxUserPort that would rewrite a wanted TCP range, a reboot that needs a collection that is not installed).
* ``plan_refusals``: what needs the host's state (listeners a new range would cover, ports in use, Hyper-V/WinNAT and
  system reservations, the host's TcpTimedWaitDelay limits). The role runs the three configuration modules in check mode
  first (their read and their plan, nothing written); a refusal there stops the host before the first write.

Messages name the role's variables (``port_capacity_exclusions[1]``), not the module options they become (``ranges[1]``).
"""

from __future__ import annotations

import difflib
import re
import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.portscale.tcpip.plugins.modules import (
    win_dynamic_port_range as _dynamic_range_doc,
    win_excluded_port_range as _exclusions_doc,
    win_port_probe as _probe_doc,
    win_tcpip_parameters as _tcpip_doc,
)

from .._engine import dynamic_range, excluded_ranges, probe, tcpip_parameters
from .._engine.argspec import argument_spec_from_doc
from .._engine.converge import NOT_ELEVATED
from .._windows.ports import max_user_port_boot_range
from .._windows.values import TcpipValueError, user_value
from .._wire.probe_script import MAX_COUNT
from .._wire.remote import sentence

PREFIX = "port_capacity_"
RANGE_KEYS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")
# Facts the role sets on each host: port_capacity_* names that are not inputs and yet not misspelt.
OUTPUT_VARIABLES = ("port_capacity_summary",)
REBOOT_MODULE = "ansible.windows.win_reboot"
# How close a name must be to a known one to be offered as "did you mean" (difflib's ratio of the parts after the
# prefix, which every name shares).
SUGGESTION_CUTOFF = 0.6

Values = t.Mapping[str, t.Any]

# What the three configuration modules' options are called in the role, for the subject of their messages (the part
# before "=", ":" or "["), and option names a message may suggest setting (``set winnat_restart=true``).
TCPIP_NAMES = {"max_user_port": "port_capacity_max_user_port", "tcp_timed_wait_delay": "port_capacity_tcp_timed_wait_delay"}
EXCLUSION_NAMES = {"ranges": "port_capacity_exclusions", "purge": "port_capacity_exclusions_purge",
                   "winnat_restart": "port_capacity_winnat_restart", "protocols": "port_capacity_exclusion_protocols",
                   "ip_versions": "port_capacity_exclusion_ip_versions"}
RANGE_NAMES = {"listener_guard": "port_capacity_listener_guard"}
PROBE_NAMES = {"count": "port_capacity_probe_count", "timeout": "port_capacity_probe_timeout", "ip_version": "port_capacity_probe_ip_version",
               "max_free_share": "port_capacity_probe_max_free_share", "fail_below": "port_capacity_probe_min_success",
               "allow_exhaustion": "port_capacity_probe_allow_exhaustion"}
# The role's plan steps (registered results) and the names their messages use.
PLAN_STEPS = {"win_tcpip_parameters": TCPIP_NAMES, "win_excluded_port_range": EXCLUSION_NAMES, "win_dynamic_port_range": RANGE_NAMES}

_SUBJECT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_/]*)(?P<rest>[=:\[. ].*)", re.S)
_NOTHING_CHANGED = "Nothing was changed."
# How a configuration module in check mode warns that it could not write (converge.py): the warnings of its result.
_NOT_ELEVATED_WARNING = NOT_ELEVATED[0].upper() + NOT_ELEVATED[1:]


def in_role_terms(message: str, names: t.Mapping[str, str]) -> str:
    """A module's message with its subject (``ranges[1].count=0 is not valid: ...``) and the options it suggests setting
    (``set winnat_restart=true``) renamed to the role's variables. A subject that is not an option stays as it is."""
    match = _SUBJECT.fullmatch(message)
    if match and match.group("name") in names:
        message = names[match.group("name")] + match.group("rest")
    for option, variable in names.items():
        # Only an option followed by its value (``purge=true``, ``allow_exhaustion: true``); "/" keeps a combined
        # subject such as ``ip_versions/protocols`` apart from its parts.
        message = re.sub(rf"(?<![\w./]){re.escape(option)}(?=[=:] ?[\w\[])", variable, message)
    return message


def module_args(documentation: str, given: Values) -> dict[str, t.Any]:
    """The arguments a task passes (``given``), checked against the module's argument spec and completed with its
    defaults, exactly as the module's action plugin sees them before its own checks (``request_from_args``)."""
    result = ArgumentSpecValidator(argument_spec_from_doc(documentation)).validate(dict(given))
    if result.error_messages:
        raise TcpipValueError.refusal("arguments", result.error_messages[0])
    return dict(result.validated_parameters)


def _judge(problems: list[str], names: t.Mapping[str, str], check: t.Callable[[], t.Any]) -> t.Any:
    try:
        return check()
    except TcpipValueError as error:
        problems.append(sentence(in_role_terms(str(error), names)))
    return None


def wanted_ranges(values: Values) -> list[tuple[str, str, t.Any]]:
    """(key, variable, wanted range) for every range the role manages: key ``all`` for ``port_capacity_range`` alone
    (one task for the four ranges), else one per range key whose wanted value is not null, from
    ``port_capacity_ranges`` or, for a key not given there, ``port_capacity_range``. The role's
    ``__port_capacity_range_items`` (vars/main.yml) lists the same ranges."""
    common = values.get("port_capacity_range")
    per_range = values.get("port_capacity_ranges") or {}
    if not per_range:
        return [] if common is None else [("all", "port_capacity_range", common)]
    chosen = [(key, f"port_capacity_ranges.{key}", per_range[key]) if key in per_range else (key, "port_capacity_range", common)
              for key in RANGE_KEYS]
    return [item for item in chosen if item[2] is not None]


def _range_problems(values: Values, problems: list[str]) -> None:
    per_range = values.get("port_capacity_ranges") or {}
    for key in RANGE_KEYS:
        if key in per_range and per_range[key] is None:
            left_out = ("to have it follow port_capacity_range" if values.get("port_capacity_range") is not None
                        else "to leave that range alone (port_capacity_range is null)")
            problems.append(f"port_capacity_ranges.{key}=null is not valid: give {{start, count}} or {{start, end}}, or leave {key} out "
                            f"of port_capacity_ranges {left_out}.")
    seen = set()
    for _key, variable, wanted in wanted_ranges(values):
        if variable in seen:
            continue
        seen.add(variable)
        names = {"start": f"{variable}.start", "count": f"{variable}.count", "end": f"{variable}.end", "count/end": variable,
                 **RANGE_NAMES}
        given = {key: wanted.get(key) for key in ("start", "count", "end")} if isinstance(wanted, t.Mapping) else {"start": wanted}
        given["listener_guard"] = values.get("port_capacity_listener_guard", "warn")
        _judge(problems, names, lambda given=given: dynamic_range.request_from_args(module_args(_dynamic_range_doc.DOCUMENTATION, given)))


def _tcpip_problems(values: Values, problems: list[str]) -> None:
    given = {option: values.get(variable) for option, variable in TCPIP_NAMES.items() if values.get(variable) is not None}
    if not given:
        return
    request = _judge(problems, TCPIP_NAMES, lambda: tcpip_parameters.request_from_args(module_args(_tcpip_doc.DOCUMENTATION, given)))
    max_user_port = request.values.get("MaxUserPort") if request is not None else None
    tcp_ranges = [variable for key, variable, _wanted in wanted_ranges(values) if key in ("all", "ipv4_tcp", "ipv6_tcp")]
    if isinstance(max_user_port, int) and tcp_ranges:
        boot = max_user_port_boot_range(max_user_port)
        problems.append(f"port_capacity_max_user_port={user_value(values['port_capacity_max_user_port'])} conflicts with the wanted TCP "
                        f"range ({tcp_ranges[0]}): MaxUserPort rewrites the TCP range to {boot.start}-{boot.end} at every boot. "
                        "Set it to 'absent', or do not manage the TCP range.")


def _exclusion_problems(values: Values, problems: list[str]) -> None:
    listed = values.get("port_capacity_exclusions") or []
    purge = values.get("port_capacity_exclusions_purge", False)
    if not listed and not boolean(purge, strict=False):
        return  # the role does not run win_excluded_port_range then
    given = {"ranges": listed, "purge": purge, "winnat_restart": values.get("port_capacity_winnat_restart", False),
             "protocols": values.get("port_capacity_exclusion_protocols", ["tcp"]),
             "ip_versions": values.get("port_capacity_exclusion_ip_versions", ["ipv4", "ipv6"])}
    # A combined subject names the role variables that are empty.
    empty = [EXCLUSION_NAMES[key] for key in ("ip_versions", "protocols") if isinstance(given[key], list) and not given[key]]
    names = {**EXCLUSION_NAMES, "ip_versions/protocols": "/".join(empty) or "/".join(EXCLUSION_NAMES[key] for key in ("ip_versions", "protocols"))}
    if isinstance(listed, list) and len(listed) > excluded_ranges.MAX_RANGES:
        # The module's own limit, checked before its argument spec walks thousands of items.
        problems.append(sentence(in_role_terms(str(TcpipValueError.refusal(
            "ranges", f"{len(listed)} ranges listed; the role applies at most {excluded_ranges.MAX_RANGES} (win_excluded_port_range's "
            "limit for one task)")), names)))
        return
    _judge(problems, names, lambda: excluded_ranges.request_from_args(module_args(_exclusions_doc.DOCUMENTATION, given)))


def _probe_problems(values: Values, problems: list[str]) -> None:
    if not boolean(values.get("port_capacity_probe", True), strict=False):
        return
    count = values.get("port_capacity_probe_count", 1000)
    min_success = values.get("port_capacity_probe_min_success")
    given = {"count": count, "fail_below": count if min_success is None else min_success,
             "timeout": values.get("port_capacity_probe_timeout", 60), "ip_version": values.get("port_capacity_probe_ip_version", 4),
             "max_free_share": values.get("port_capacity_probe_max_free_share", 50),
             "allow_exhaustion": values.get("port_capacity_probe_allow_exhaustion", False)}
    try:
        probe.request_from_args(module_args(_probe_doc.DOCUMENTATION, given))
    except TcpipValueError as error:
        if error.option == "fail_below" and min_success is None:
            # The role's own default: every one of the count must open, and the probe opens at most MAX_COUNT.
            problems.append(f"port_capacity_probe_count={user_value(count)} is not valid: the probe opens at most {MAX_COUNT} connections, "
                            "and with port_capacity_probe_min_success null all of the count must open; give a count from 1 to "
                            f"{MAX_COUNT}, or a port_capacity_probe_min_success of at most {MAX_COUNT}.")
        else:
            problems.append(sentence(in_role_terms(str(error), PROBE_NAMES)))


def reboot_problems(values: Values, reboot_module_found: bool) -> list[str]:
    """``port_capacity_reboot: allowed`` in enforce mode needs ansible.windows.win_reboot on the controller: without it
    ansible-core fails when it loads tasks/reboot.yml, after the writes, and ends the whole play."""
    if values.get("port_capacity_reboot") != "allowed" or values.get("port_capacity_mode") != "enforce" or reboot_module_found:
        return []
    return [f"port_capacity_reboot=allowed needs the ansible.windows collection on the controller ({REBOOT_MODULE} does not resolve "
            "here): install it (ansible-galaxy collection install ansible.windows), or set port_capacity_reboot: never to report "
            "the pending reboot instead."]


def plain_data(value: t.Any) -> t.Any:
    """``value`` as plain dicts, lists, strings and numbers. A filter receives the role's variables as ansible-core's
    lazy containers (2.19+): the argument-spec validation deep-copies what it is given, and deep-copying a lazy container
    copies its whole templating context, which took seconds per task in a long play. Other types stay as they are, so
    the validation still names a wrong type."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, t.Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    return value


def variable_problems(values: Values, reboot_module_found: bool = True) -> list[str]:
    """Every problem with the role's variables (``values``: variable name -> value, after the argument spec checked
    their types) that can be judged without the host, one sentence each."""
    values = plain_data(values)
    problems: list[str] = []
    _range_problems(values, problems)
    _tcpip_problems(values, problems)
    _exclusion_problems(values, problems)
    _probe_problems(values, problems)
    return problems + reboot_problems(values, reboot_module_found)


def role_variables(argument_specs: t.Any) -> set[str]:
    """Every variable the role documents (the options of each entry point of meta/argument_specs.yml), and its facts."""
    specs = (argument_specs or {}).get("argument_specs") or {}
    names = {name for entry in specs.values() for name in ((entry or {}).get("options") or {})}
    return names | set(OUTPUT_VARIABLES)


def unknown_variable_warnings(defined: t.Iterable[str], known: t.Collection[str]) -> list[str]:
    """A warning for each ``port_capacity_*`` variable in ``defined`` that the role does not know (a misspelt name would
    otherwise be ignored, and the setting silently left at its default), with the closest known name."""
    warnings = []
    for name in sorted(set(defined)):
        if not name.startswith(PREFIX) or name in known:
            continue
        suffixes = {known_name[len(PREFIX):]: known_name for known_name in known if known_name.startswith(PREFIX)}
        close = difflib.get_close_matches(name[len(PREFIX):], sorted(suffixes), n=1, cutoff=SUGGESTION_CUTOFF)
        hint = f"did you mean {suffixes[close[0]]}?" if close else "see ansible-doc -t role portscale.tcpip.port_capacity for its variables."
        warnings.append(f"{name} is not a variable of the portscale.tcpip.port_capacity role and is ignored; {hint}")
    return warnings


def _failed(result: t.Mapping[str, t.Any]) -> bool:
    # The role registers its plan tasks with failed_when: false, which resets "failed"; a refusal still leaves its msg,
    # which a configuration module's successful result never has (role_summary reads the probe the same way).
    return bool(result.get("failed") or result.get("msg"))


def plan_refusals(results: t.Mapping[str, t.Any], writing: bool = False) -> list[str]:
    """The refusals of the role's plan step (``results``: module name -> its registered check-mode result, a loop's
    included), in the role's terms, one sentence each. ``writing``: the role goes on to write (enforce mode, not check
    mode); then a plan that would change something on a host where the account does not run elevated is refused too
    (in check mode the modules only warn about it, and each would refuse it only at its own write)."""
    refusals = []
    elevation_needed_by = []
    for step, registered in results.items():
        names = PLAN_STEPS.get(step, {})
        items = _items(registered)
        # A loop's items may lose their warnings to the loop's result (ansible-core 2.19 collects them there).
        warnings = [str(w) for result in [registered, *items] if isinstance(result, t.Mapping) for w in result.get("warnings") or ()]
        # A plan with commands would write (its "changed" is the drift only in audit mode: the role resets it in enforce).
        if writing and any(result.get("commands") and not _failed(result) for result in items) \
                and any(_NOT_ELEVATED_WARNING in warning for warning in warnings):
            elevation_needed_by.append(step)
        for result in items:
            if not _failed(result):
                continue
            message = str(result.get("msg") or "failed without a message").strip()
            if message.endswith(_NOTHING_CHANGED):
                message = message[:-len(_NOTHING_CHANGED)].rstrip()
            match = _SUBJECT.fullmatch(message)
            # A subject the role has no variable for (``host: ...``, a read that failed) is named by its module.
            known = bool(match and match.group("name") in names)
            refusals.append(sentence(in_role_terms(message if known else f"{step}: {message}", names)))
    if elevation_needed_by:
        refusals.append(f"host: {', '.join(dict.fromkeys(elevation_needed_by))} would change settings, but {NOT_ELEVATED}.")
    return list(dict.fromkeys(refusals))


def _items(registered: t.Any) -> list[t.Mapping[str, t.Any]]:
    """One registered result, or each item of a loop's; skipped ones left out."""
    if not isinstance(registered, t.Mapping):
        return []
    items = registered.get("results") if isinstance(registered.get("results"), list) else [registered]
    return [item for item in items if isinstance(item, t.Mapping) and item and not item.get("skipped")]

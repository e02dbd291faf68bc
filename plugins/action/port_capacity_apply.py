# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.port_capacity_apply (documented in plugins/modules/port_capacity_apply.py).

The role's host steps in one task (plugin_utils/_report/role_apply.py): one worker, one connection, one read for what
used to be a dozen tasks, and the summary built in Python. It never returns an unreachable result: the role's rescue
must run for every host, so a host that could not be reached fails with ``role_unreachable`` and the step
(``role_step``) its report row names.
"""

from __future__ import annotations

import os
import secrets

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.portscale.tcpip.plugins.modules.port_capacity_apply import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.loader import plugin_resolves
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import role_apply, role_validation
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import log

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The role's argument specs, read once per process: the role's own copy is read when this module is imported (in
# ansible-playbook's main process, before it forks the task's workers), so the workers inherit it.
_KNOWN: dict[str, frozenset] = {}
_ROLE_SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "port_capacity", "meta", "argument_specs.yml")


def known_variables(path: str) -> frozenset:
    real = os.path.realpath(path)
    if real not in _KNOWN:
        with open(real, encoding="utf-8") as handle:
            _KNOWN[real] = frozenset(role_validation.role_variables(yaml.load(handle, Loader=_LOADER)))  # nosec B506 - a safe loader
    return _KNOWN[real]


try:
    known_variables(_ROLE_SPECS)
except (OSError, yaml.YAMLError):
    pass


def _host_warnings(outcome, host):
    """The warnings of each setting's result and of the probe, with the host's name (forks interleave output)."""
    found = []
    for kind in role_apply.KINDS:
        entry = (outcome.get("changes") or {}).get(kind) or {}
        for item in entry.get("results", [entry]) if isinstance(entry, dict) else []:
            found += [str(w) for w in item.get("warnings") or ()]
    found += [str(w) for w in (outcome.get("probe") or {}).get("warnings") or ()]
    return [f"{host}: {w}" for w in dict.fromkeys(found)]


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION

    def _unknown_names(self, args, host, task_vars):
        if not args["argument_specs"]:
            return []
        defined = [name for name in task_vars or {} if name.startswith(role_validation.PREFIX)]
        try:
            known = known_variables(args["argument_specs"])
        except (OSError, yaml.YAMLError) as error:
            raise AnsibleActionFail(f"cannot read the argument specs {args['argument_specs']}: {error}") from error
        return [f"{host}: {warning}" for warning in role_validation.unknown_variable_warnings(defined, known)]

    def plan_gate_wanted(self, values):
        """The task's any_errors_fatal (inherited from block, role, play) or port_capacity_plan_gate."""
        return bool(self._task.any_errors_fatal) or boolean(values.get("port_capacity_plan_gate", False), strict=False)

    def run(self, tmp=None, task_vars=None):
        result = super(PortscaleAction, self).run(tmp, task_vars)  # pylint: disable=bad-super-call
        del tmp
        _dummy, args = self.validate_argument_spec(argument_spec=argument_spec_from_doc(DOCUMENTATION))
        host = str((task_vars or {}).get("inventory_hostname", ""))
        values = role_validation.plain_data(args["variables"])
        if args["plan_only"] and not self.plan_gate_wanted(values):
            # Skipped before any contact with the host: without any_errors_fatal the gate stops no write.
            return {"changed": False, "skipped": True, "may_have_written": False}
        check_mode = bool(self._task.check_mode)
        dry_run = values.get("port_capacity_mode") == "audit" or check_mode
        previous = args["after_reboot"]
        result.update(changed=False, may_have_written=False, run_id=(previous or {}).get("run_id") or secrets.token_hex(8))
        with log.task_log(host):
            if previous:
                outcome, failure = self._after_reboot(values, check_mode, host)
            else:
                warnings = self._unknown_names(args, host, task_vars)
                reboot_allowed = values.get("port_capacity_reboot") == "allowed" and not dry_run
                problems = role_validation.variable_problems(
                    values, plugin_resolves(role_validation.REBOOT_MODULE) if reboot_allowed else True)
                if problems:
                    # Before any contact with the host.
                    result.update(failed=True, role_step="validate", role_unreachable=False, warnings=warnings,
                                  msg=f"Invalid port_capacity variables for {host}: {' '.join(problems)}")
                    return result
                try:
                    outcome, failure = role_apply.apply(self.execute_script, values, dry_run, check_mode, reboot_allowed,
                                                        reconnect=self.reconnect, plan_only=args["plan_only"]), None
                except role_apply.StepFailed as error:
                    outcome, failure = error.result, error
                outcome["warnings"] = warnings + _host_warnings(outcome, host)
        result.update(outcome)
        stage = "info" if failure is not None or args["plan_only"] else "done"
        data = role_apply.summary_data(host, values, check_mode, previous or outcome, stage, rebooted=bool(previous))
        if previous:
            data.update(after=outcome.get("after") or {}, probe=outcome.get("probe") or {})
        result["summary_data"] = data
        if "ranges" in (data["before"] or {}) and not args["plan_only"]:
            result.update(role_apply.summarised(data, values))
        if failure is not None:
            result.update(failed=True, role_step=failure.step, role_unreachable=failure.unreachable, msg=str(failure))
        return result

    def _after_reboot(self, values, check_mode, host):
        try:
            outcome = role_apply.after_reboot(self.execute_script, values, check_mode)
        except role_apply.StepFailed as error:
            return error.result, error
        outcome["warnings"] = _host_warnings(outcome, host)
        return outcome, None

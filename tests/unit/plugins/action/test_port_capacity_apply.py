# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_capacity_apply's checks before any contact with the host: the variables (judged by the modules' validation),
a misspelt variable warned about, ansible.windows.win_reboot looked up only when a reboot may run."""

from __future__ import annotations

import pathlib
import types

import pytest
import yaml

from ansible.errors import AnsibleError
from ansible.plugins import loader

from ansible_collections.portscale.tcpip.plugins.action import port_capacity_apply
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import run_action

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "port_capacity"
SPECS = str(ROLE / "meta" / "argument_specs.yml")
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))


def test_bad_variables_are_refused_before_any_contact_and_a_misspelt_one_is_warned_about():
    values = {**DEFAULTS, "port_capacity_probe_count": 0}
    result, connection = run_action("port_capacity_apply", {"variables": values, "argument_specs": SPECS}, None,
                                    task_vars={"inventory_hostname": "win1", "port_capacity_rang": 1, "port_capacity_mode": "audit"})
    assert result["failed"] and result["role_step"] == "validate" and result["role_unreachable"] is False
    assert result["msg"] == ("Invalid port_capacity variables for win1: port_capacity_probe_count=0 is not valid: open at least one "
                             "connection (more than 200000 is reduced to 200000).")
    assert result["warnings"] == ["win1: port_capacity_rang is not a variable of the portscale.tcpip.port_capacity role and is "
                                  "ignored; did you mean port_capacity_range?"]
    assert connection.command_lines == []


def test_win_reboot_is_looked_up_only_when_a_reboot_may_run(monkeypatch):
    asked = []
    monkeypatch.setattr(port_capacity_apply, "plugin_resolves", lambda name: asked.append(name) or False)
    enforce = {**DEFAULTS, "port_capacity_mode": "enforce", "port_capacity_reboot": "allowed", "port_capacity_probe_count": 0}
    run_action("port_capacity_apply", {"variables": {**enforce, "port_capacity_mode": "audit"}}, None)
    assert asked == []
    result, _connection = run_action("port_capacity_apply", {"variables": enforce}, None)
    assert asked == ["ansible.windows.win_reboot"] and "port_capacity_reboot=allowed needs the ansible.windows collection" in result["msg"]


def test_unreadable_argument_specs_fail_the_task():
    with pytest.raises(AnsibleError, match="cannot read the argument specs"):
        run_action("port_capacity_apply", {"variables": DEFAULTS, "argument_specs": "/nonexistent/specs.yml"}, None,
                   task_vars={"port_capacity_mode": "audit"})


class FakeLoader:
    """An ansible-core plugin loader that knows ``names`` (and fails on ``broken``)."""

    def __init__(self, names=(), broken=()):
        self.names, self.broken = names, broken

    def find_plugin_with_context(self, name):
        if name in self.broken:
            raise AnsibleError(f"cannot load {name}")
        return types.SimpleNamespace(resolved=name in self.names)


@pytest.mark.parametrize("actions, modules, resolves", [
    (FakeLoader(["ansible.windows.win_reboot"]), FakeLoader(), True),     # ansible.windows: an action plugin
    (FakeLoader(), FakeLoader(["ansible.windows.win_reboot"]), True),     # a module would do as well
    (FakeLoader(), FakeLoader(), False),                                  # not installed
    (FakeLoader(broken=["ansible.windows.win_reboot"]), FakeLoader(), False),
])
def test_plugin_resolution_asks_the_controllers_plugin_loaders(monkeypatch, actions, modules, resolves):
    monkeypatch.setattr(loader, "action_loader", actions)
    monkeypatch.setattr(loader, "module_loader", modules)
    assert port_capacity_apply.plugin_resolves("ansible.windows.win_reboot") is resolves


def test_the_plan_gate_is_skipped_before_any_contact_unless_any_errors_fatal_or_the_variable_asks_for_it():
    from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost

    values = {**DEFAULTS, "port_capacity_mode": "enforce", "port_capacity_probe_count": 10, "port_capacity_range": {"start": 10000, "count": 55536}}
    host = FakeHost()
    result, connection = run_action("port_capacity_apply", {"variables": values, "plan_only": True}, host)
    assert result["skipped"] and not result["changed"] and connection.command_lines == [] and host.executions == []
    for any_errors_fatal, gate in ((True, False), (False, True)):
        host = FakeHost()
        result, connection = run_action("port_capacity_apply", {"variables": {**values, "port_capacity_plan_gate": gate}, "plan_only": True},
                                        host, any_errors_fatal=any_errors_fatal)
        assert not result.get("skipped") and not result.get("failed"), result
        # One read, no write, no probe.
        assert len(host.executions) == 1 and host.writes == [] and result["commands"]

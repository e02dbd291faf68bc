# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's check filters: port_capacity_problems (its variables, before any host contact) and
port_capacity_plan_refusals (its plan step, before the first write). The logic is role_validation's; these test the glue."""

from __future__ import annotations

import pathlib
import types

import pytest
import yaml

from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.plugins import loader

from ansible_collections.portscale.tcpip.plugins.filter import port_capacity_plan_refusals, port_capacity_problems

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "port_capacity"
SPECS = str(ROLE / "meta" / "argument_specs.yml")
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))


def test_filters_are_registered_under_their_names():
    assert "port_capacity_problems" in port_capacity_problems.FilterModule().filters()
    assert "port_capacity_plan_refusals" in port_capacity_plan_refusals.FilterModule().filters()


def test_problems_filter_returns_the_problems_and_warns_about_unknown_variables(monkeypatch):
    warned = []
    monkeypatch.setattr(port_capacity_problems.display, "warning", warned.append)
    values = {**DEFAULTS, "port_capacity_probe_count": 0}
    problems = port_capacity_problems.port_capacity_problems(values, defined=["port_capacity_rang", "port_capacity_mode"],
                                                             argument_specs=SPECS, host="win1")
    assert problems == ["port_capacity_probe_count=0 is not valid: open at least one connection (more than 200000 is reduced to 200000)."]
    assert warned == ["win1: port_capacity_rang is not a variable of the portscale.tcpip.port_capacity role and is ignored; did you mean "
                      "port_capacity_range?"]


def test_problems_filter_checks_win_reboot_only_when_it_would_run(monkeypatch):
    asked = []
    monkeypatch.setattr(port_capacity_problems, "plugin_resolves", lambda name: asked.append(name) or False)
    enforce = {**DEFAULTS, "port_capacity_mode": "enforce", "port_capacity_reboot": "allowed"}
    assert port_capacity_problems.port_capacity_problems({**enforce, "port_capacity_mode": "audit"}) == [] and asked == []
    refused = port_capacity_problems.port_capacity_problems(enforce)
    assert asked == ["ansible.windows.win_reboot"] and refused[0].startswith("port_capacity_reboot=allowed needs the ansible.windows collection")


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
    assert port_capacity_problems.plugin_resolves("ansible.windows.win_reboot") is resolves


def test_problems_filter_errors():
    with pytest.raises(AnsibleFilterError, match="expects a dictionary of the role's variables, got list"):
        port_capacity_problems.port_capacity_problems([])
    with pytest.raises(AnsibleFilterError, match="cannot read the argument specs"):
        port_capacity_problems.port_capacity_problems(DEFAULTS, defined=["port_capacity_mode"], argument_specs="/nonexistent/specs.yml")


def test_plan_refusals_filter():
    results = {"win_dynamic_port_range": {"results": [{"failed": False, "msg": "listener_guard=fail: refusing the change: x. Nothing was changed."}]}}
    assert port_capacity_plan_refusals.port_capacity_plan_refusals(results) == ["port_capacity_listener_guard=fail: refusing the change: x."]
    with pytest.raises(AnsibleFilterError, match="expects a dictionary of module name to registered result, got str"):
        port_capacity_plan_refusals.port_capacity_plan_refusals("text")

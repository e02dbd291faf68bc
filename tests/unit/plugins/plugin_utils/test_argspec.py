# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arg spec is written once (the module stub's DOCUMENTATION); these tests keep docs, spec and action plugin in step.

ansible-test's validate-modules sees a docs-only stub and never compares it with the action plugin, so this is
the check that the options users read are exactly the options the plugin accepts.
"""

from __future__ import annotations

import importlib

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.portscale.tcpip.plugins.modules.win_dynamic_port_range import DOCUMENTATION as DYNAMIC_RANGE_DOC
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import argspec
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction, plain_type_names

MODULES = ("win_dynamic_port_range", "win_excluded_port_range", "win_tcpip_parameters")
# Documentation keys that must reach the spec unchanged (type defaults to str in both).
CARRIED = ("type", "default", "choices", "elements", "required", "aliases", "no_log")


def stub(name):
    return importlib.import_module(f"ansible_collections.portscale.tcpip.plugins.modules.{name}")


def action(name):
    return importlib.import_module(f"ansible_collections.portscale.tcpip.plugins.action.{name}").ActionModule


def validator(name):
    plugin = action(name)
    return ArgumentSpecValidator(argument_spec_from_doc(plugin.DOCUMENTATION),
                                 mutually_exclusive=[list(group) for group in plugin.MUTUALLY_EXCLUSIVE])


def errors(name, args):
    result = validator(name).validate(args)
    # Type names as the action plugins show them on every core (ansible-core before 2.19 says "<class 'str'>").
    return [plain_type_names(str(e)) for e in result.errors.errors]


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("part", ("DOCUMENTATION", "EXAMPLES", "RETURN"))
def test_every_doc_block_is_valid_yaml(name, part):
    data = yaml.safe_load(getattr(stub(name), part))
    assert data, f"{name}.{part} is empty"
    if part == "DOCUMENTATION":
        assert data["module"] == name
        attributes = dict(data.get("attributes") or {})
        for fragment in _own_fragments(data):
            attributes.update(fragment.get("attributes") or {})
        assert attributes["check_mode"]["support"] == "full" and attributes["diff_mode"]["support"] == "full"
    if part == "EXAMPLES":
        assert isinstance(data, list) and all("name" in task for task in data)


def _own_fragments(doc):
    """This collection's doc fragments a DOCUMENTATION extends, parsed (ansible.builtin ones only describe attributes)."""
    fragments = []
    for reference in doc.get("extends_documentation_fragment") or []:
        if reference.startswith("portscale.tcpip."):
            module_name, _dot, variable = reference[len("portscale.tcpip."):].partition(".")
            holder = importlib.import_module(f"ansible_collections.portscale.tcpip.plugins.doc_fragments.{module_name}").ModuleDocFragment
            fragments.append(yaml.safe_load(getattr(holder, variable.upper() or "DOCUMENTATION")))
    return fragments


@pytest.mark.parametrize("name", MODULES)
def test_doc_fragments_add_no_options(name):
    # The spec is derived from the stub's own options; an option arriving through a fragment would be documented
    # but refused by the action plugin.
    for fragment in _own_fragments(yaml.safe_load(stub(name).DOCUMENTATION)):
        assert "options" not in fragment


def _compare(doc_options, spec, path=""):
    assert set(spec) == set(doc_options), f"options differ at {path or 'top level'}"
    for option, doc in doc_options.items():
        where = f"{path}{option}"
        for key in CARRIED:
            assert spec[option].get(key, "str" if key == "type" else None) == doc.get(key, "str" if key == "type" else None), f"{where}.{key}"
        assert set(spec[option]) - {"options"} <= set(CARRIED), f"{where}: spec keys the docs do not have"
        if "suboptions" in doc:
            _compare(doc["suboptions"], spec[option]["options"], f"{where}.")
        else:
            assert "options" not in spec[option], where


@pytest.mark.parametrize("name", MODULES)
def test_the_spec_is_the_documented_options(name):
    doc = yaml.safe_load(stub(name).DOCUMENTATION)
    _compare(doc["options"], argument_spec_from_doc(stub(name).DOCUMENTATION))


@pytest.mark.parametrize("name", MODULES)
def test_the_action_plugin_validates_with_its_own_stub(name):
    assert action(name).DOCUMENTATION is stub(name).DOCUMENTATION


def test_the_derived_spec_literally():
    # One spelled-out spec, so the derivation cannot be wrong in the same way as the comparison above.
    assert argument_spec_from_doc(stub("win_excluded_port_range").DOCUMENTATION) == {
        "ranges": {"type": "list", "elements": "dict", "default": [], "options": {
            "start": {"type": "int", "required": True}, "count": {"type": "int"}, "end": {"type": "int"}}},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "purge": {"type": "bool", "default": False},
        "protocols": {"type": "list", "elements": "str", "choices": ["tcp", "udp"], "default": ["tcp"]},
        "ip_versions": {"type": "list", "elements": "str", "choices": ["ipv4", "ipv6"], "default": ["ipv4", "ipv6"]},
        "store": {"type": "str", "choices": ["persistent", "active"], "default": "persistent"},
        "winnat_restart": {"type": "bool", "default": False},
    }
    assert argument_spec_from_doc(stub("win_tcpip_parameters").DOCUMENTATION) == {
        "max_user_port": {"type": "raw"}, "tcp_timed_wait_delay": {"type": "raw"}}


def test_derivation_carries_every_spec_key_and_defaults_type_to_str():
    doc = """
options:
  secret:
    description: x
    no_log: true
    aliases: [password]
    required: true
  items:
    description: y
    type: list
    elements: dict
    suboptions:
      name: {description: z}
"""
    assert argument_spec_from_doc(doc) == {
        "secret": {"type": "str", "no_log": True, "aliases": ["password"], "required": True},
        "items": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}}},
    }
    assert argument_spec_from_doc("module: x\n") == {}


@pytest.mark.parametrize("name", MODULES)
def test_every_example_validates_against_the_spec(name):
    tasks = [task for task in yaml.safe_load(stub(name).EXAMPLES) if f"portscale.tcpip.{name}" in task]
    assert tasks
    for task in tasks:
        assert errors(name, dict(task[f"portscale.tcpip.{name}"] or {})) == [], task["name"]


@pytest.mark.parametrize("name, args", [
    ("win_dynamic_port_range", {"start": 10000, "count": 1000, "startport": 10000}),
    ("win_excluded_port_range", {"ranges": [{"start": 5022, "count": 1}], "force": True}),
    ("win_tcpip_parameters", {"max_user_port": 65534, "MaxUserPort": 65534}),
])
def test_unknown_options_are_rejected(name, args):
    messages = errors(name, args)
    assert len(messages) == 1
    unknown = (set(args) - {"start", "count", "ranges", "max_user_port"}).pop()
    assert unknown in messages[0] and "Supported parameters include" in messages[0]


def test_unknown_suboption_is_rejected():
    messages = errors("win_excluded_port_range", {"ranges": [{"start": 5022, "count": 1, "port": 1}]})
    assert messages and "port" in messages[0]


@pytest.mark.parametrize("name, args, fragment", [
    ("win_dynamic_port_range", {"start": 10000, "count": 1000, "protocols": ["sctp"]}, "value of protocols must be one or more of: tcp, udp"),
    ("win_dynamic_port_range", {"start": 10000, "count": 1000, "ip_versions": ["ipv5"]},
     "value of ip_versions must be one or more of: ipv4, ipv6"),
    ("win_dynamic_port_range", {"state": "absent"}, "value of state must be one of: present, default, got: absent"),
    ("win_dynamic_port_range", {"start": 10000, "count": 1000, "store": "boot"}, "value of store must be one of: persistent, active"),
    ("win_dynamic_port_range", {"start": 10000, "count": 1000, "end": 10999}, "parameters are mutually exclusive: count|end"),
    ("win_dynamic_port_range", {"start": "ten thousand", "count": 1000}, "argument 'start' is of type str"),
    ("win_dynamic_port_range", {"start": 10000, "count": 12.5}, "argument 'count' is of type float"),
    ("win_excluded_port_range", {"ranges": [{"count": 1}]}, "missing required arguments: start"),
    ("win_excluded_port_range", {"ranges": [], "state": "gone"}, "value of state must be one of: present, absent"),
    ("win_excluded_port_range", {"ranges": [], "purge": "perhaps"}, "argument 'purge' is of type str"),
    ("win_excluded_port_range", {"ranges": [], "protocols": ["icmp"]}, "value of protocols must be one or more of: tcp, udp"),
])
def test_choices_types_and_exclusions_are_enforced_by_the_spec(name, args, fragment):
    messages = errors(name, args)
    assert messages and fragment in messages[0]


def test_the_spec_is_parsed_once_per_stub_and_each_caller_gets_a_copy(monkeypatch):
    """The YAML is parsed once per process and stub (it cost 4-6 ms per task); a caller changing its copy changes no other."""
    calls = []
    real = argspec.yaml.load
    monkeypatch.setattr(argspec.yaml, "load", lambda text, Loader: calls.append(text) or real(text, Loader=Loader))
    argspec._parsed.cache_clear()  # pylint: disable=protected-access
    first = argument_spec_from_doc(DYNAMIC_RANGE_DOC)
    first["start"]["type"] = "changed"
    second = argument_spec_from_doc(DYNAMIC_RANGE_DOC)
    assert len(calls) == 1 and second["start"]["type"] == "int"


def test_defining_an_action_class_parses_its_spec(monkeypatch):
    """The strategy imports a task's action class in ansible-playbook's main process before it forks the workers: the
    spec parsed when the class is defined is inherited by every worker, so no task parses it again."""
    calls = []
    real = argspec.yaml.load
    monkeypatch.setattr(argspec.yaml, "load", lambda text, Loader: calls.append(text) or real(text, Loader=Loader))
    argspec._parsed.cache_clear()  # pylint: disable=protected-access

    class Defined(PortscaleAction):  # pylint: disable=unused-variable
        DOCUMENTATION = DYNAMIC_RANGE_DOC

    assert calls == [DYNAMIC_RANGE_DOC]
    argument_spec_from_doc(DYNAMIC_RANGE_DOC)
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["win_dynamic_port_range", "win_excluded_port_range", "win_port_info", "win_port_probe",
                                  "win_tcpip_parameters", "port_capacity_report"])
def test_libyaml_reads_every_stub_as_pyyaml_does(name):
    """The spec is parsed with libyaml when PyYAML has it (a task pays the parse: each runs in a fresh worker process)."""
    documentation = importlib.import_module(f"ansible_collections.portscale.tcpip.plugins.modules.{name}").DOCUMENTATION
    assert yaml.load(documentation, Loader=argspec._LOADER) == yaml.safe_load(documentation)  # pylint: disable=protected-access

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Derive an action plugin's argument spec from its module stub's DOCUMENTATION: the input half of the engine contract
(contract.py), since what the spec accepts is what an engine's ``request_from_args`` gets.

The options are written once, in the stub that ansible-doc shows; the action plugin validates task
arguments against the spec computed here. ansible-test does not compare docs with an action plugin's
arguments, so this is also what keeps the two from drifting apart.

Parsing the YAML with PyYAML's pure-Python loader took 3-6 ms, 8-11 % of a ``raw`` task, on every task on every host.
Now each stub is parsed once per process: the action base (_glue/action.py) asks for its spec when an action class is
defined, which happens in ansible-playbook's main process (the strategy imports the class before it forks the task's
workers), so the workers inherit the cached spec. Where a worker parses after all, libyaml does it when PyYAML has it
(as ansible-core parses playbooks; 0.2-0.4 ms, the same result, which a unit test checks for every stub). Each caller
gets its own copy (ansible-core's validator must not be able to change the cached one).
"""

from __future__ import annotations

import copy
import functools
import typing as t

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Documentation keys that carry over to an argument spec under the same name.
_SPEC_KEYS = ("type", "default", "choices", "elements", "required", "aliases", "no_log")


def _option_spec(doc_option: dict[str, t.Any]) -> dict[str, t.Any]:
    spec = {key: doc_option[key] for key in _SPEC_KEYS if key in doc_option}
    spec.setdefault("type", "str")
    if "suboptions" in doc_option:
        spec["options"] = {name: _option_spec(sub) for name, sub in doc_option["suboptions"].items()}
    return spec


@functools.lru_cache(maxsize=None)
def _parsed(documentation: str) -> dict[str, dict[str, t.Any]]:
    doc = yaml.load(documentation, Loader=_LOADER)  # a safe loader: libyaml's or PyYAML's
    return {name: _option_spec(option) for name, option in (doc.get("options") or {}).items()}


def argument_spec_from_doc(documentation: str) -> dict[str, dict[str, t.Any]]:
    """Return ``{option: spec}`` for the ``options`` of a module's DOCUMENTATION YAML."""
    return copy.deepcopy(_parsed(documentation))

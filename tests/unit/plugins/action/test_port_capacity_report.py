# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_capacity_report action plugin: validates its arguments, writes on the controller, never connects."""

from __future__ import annotations

import os
from unittest import mock

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.parsing.dataloader import DataLoader
from ansible.plugins import loader as plugin_loader
from ansible.template import Templar

from ansible_collections.portscale.tcpip.plugins.action.port_capacity_report import ActionModule
from ansible_collections.portscale.tcpip.plugins.modules.port_capacity_report import RETURN
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.report_samples import ACTIVE, HOSTS, demo_summaries


def run(args, check_mode=False):
    task = Task()
    task.action = "portscale.tcpip.port_capacity_report"
    task.args = args
    task.check_mode = check_mode
    connection = mock.MagicMock()
    loader = DataLoader()
    action = ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), plugin_loader)
    return action.run(task_vars={}), connection


def test_writes_the_files_and_documents_what_it_returns(tmp_path):
    result, connection = run({"dest": str(tmp_path), "summaries": list(demo_summaries().values()), "hosts": HOSTS,
                              "active_hosts": ACTIVE, "formats": ["html", "csv"], "title": "T"})
    assert not result.get("failed"), result
    assert sorted(os.listdir(tmp_path)) == ["port_capacity.csv", "port_capacity.html"]
    assert result["hosts"] == len(HOSTS) and result["counts"]["changed"] == 3 and result["changed"] is True
    assert connection.exec_command.call_count == 0
    assert set(yaml.safe_load(RETURN)) <= set(result)


def test_check_mode_writes_nothing(tmp_path):
    result, _connection = run({"dest": str(tmp_path / "r"), "summaries": demo_summaries()}, check_mode=True)
    assert not result.get("failed") and not (tmp_path / "r").exists() and len(result["files"]) == 4


def test_bad_arguments_fail_with_a_message(tmp_path):
    with pytest.raises(AnsibleActionFail, match="pdf"):
        run({"dest": str(tmp_path), "summaries": demo_summaries(), "formats": ["pdf"]})
    result, _connection = run({"dest": str(tmp_path), "summaries": "nope"})
    assert result["failed"] is True and "The report was not written" in result["msg"]

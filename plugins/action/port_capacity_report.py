# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.port_capacity_report (documented in plugins/modules/port_capacity_report.py).

It never touches the task's host: the report is rendered and written in the controller process.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.portscale.tcpip.plugins.modules.port_capacity_report import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.argspec import argument_spec_from_doc
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report_files
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.report import ReportError


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _dummy, args = self.validate_argument_spec(argument_spec=argument_spec_from_doc(DOCUMENTATION))
        try:
            written = report_files.write_report(
                dest=args["dest"], summaries=args["summaries"], hosts=args["hosts"], active_hosts=args["active_hosts"],
                formats=args["formats"], title=args["title"], check_mode=bool(self._task.check_mode),
                failures=args["failures"])
        except (ReportError, OSError) as error:
            result.update(failed=True, changed=False, msg=f"The report was not written: {error}")
            return result
        result.update(changed=written.changed, files=written.files, counts=written.counts, hosts=written.hosts)
        return result

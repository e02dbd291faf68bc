# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_port_info (documented in plugins/modules/win_port_info.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_port_info import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils import port_info
from ansible_collections.portscale.tcpip.plugins.plugin_utils.action import PortscaleAction


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    VALID = {"events_days": "an integer from 1 to 365"}

    def run_engine(self, args, check_mode):
        # Read-only: check mode reads exactly the same.
        return port_info.run(self.execute_script, args["events_days"])

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_port_probe (documented in plugins/modules/win_port_probe.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils import probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils.action import PortscaleAction


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION

    def run_engine(self, args, check_mode):
        return probe.run(self.execute_script, args, check_mode)

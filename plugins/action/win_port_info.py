# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_port_info (documented in plugins/modules/win_port_info.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_port_info import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import port_info
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = port_info.ENGINE
    VALID = {"events_days": "an integer from 1 to 365"}

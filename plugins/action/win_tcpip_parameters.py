# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_tcpip_parameters (documented in plugins/modules/win_tcpip_parameters.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_tcpip_parameters import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import tcpip_parameters
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = tcpip_parameters.ENGINE

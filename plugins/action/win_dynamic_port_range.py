# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_dynamic_port_range (documented in plugins/modules/win_dynamic_port_range.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_dynamic_port_range import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import dynamic_range
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.facts import DYNAMIC_COUNT_MIN, DYNAMIC_START_MIN, PORT_MAX


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = dynamic_range.ENGINE
    MUTUALLY_EXCLUSIVE = (("count", "end"),)
    VALID = {
        "start": f"an integer from {DYNAMIC_START_MIN} to {PORT_MAX}",
        "count": f"an integer, at least {DYNAMIC_COUNT_MIN}, with start + count at most {PORT_MAX + 1}",
        "end": f"an integer up to {PORT_MAX}, at least start + {DYNAMIC_COUNT_MIN - 1}",
    }

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_excluded_port_range (documented in plugins/modules/win_excluded_port_range.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_excluded_port_range import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import excluded_ranges
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.facts import PORT_MAX, PORT_MIN


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = excluded_ranges.ENGINE
    VALID = {
        "start": f"a port from {PORT_MIN} to {PORT_MAX}",
        "count": f"an integer of at least 1 (the block must end at {PORT_MAX} at most)",
        "end": f"a port from start to {PORT_MAX}",
    }

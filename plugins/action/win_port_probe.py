# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_port_probe (documented in plugins/modules/win_port_probe.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_port_probe import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import probe
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.probe import MAX_FREE_SHARE
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.facts import PORT_MAX
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.probe_script import MAX_COUNT, MAX_TIMEOUT_MS


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = probe.ENGINE
    # Added to Ansible's type errors ("unable to convert to int"), which name the option but not what it accepts.
    VALID = {
        "count": f"an integer, at least 1 (more than {MAX_COUNT} is reduced to {MAX_COUNT})",
        "timeout": f"seconds, at least 1 (more than {MAX_TIMEOUT_MS // 1000} is reduced to {MAX_TIMEOUT_MS // 1000})",
        "target_port": f"0 (the probe's own listener) or a port from 1 to {PORT_MAX}",
        "max_free_share": f"a percentage from 1 to {MAX_FREE_SHARE}",
        "fail_below": "an integer from 0 to count",
    }

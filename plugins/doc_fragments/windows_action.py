# -*- coding: utf-8 -*-
# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes every portscale.tcpip module shares: a controller-side action over the task's Windows connection.

    Use it after ansible.builtin.action_common_attributes and its .flow fragment, which describe the attributes.
    """

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details: Runs on the controller and talks to the host over the task's own connection (winrm, psrp, or ssh with PowerShell).
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: windows
"""

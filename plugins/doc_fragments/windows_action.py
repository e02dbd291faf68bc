# -*- coding: utf-8 -*-
# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attributes every portscale.tcpip module shares: a controller-side action over the task's Windows connection.

    Use it after ansible.builtin.action_common_attributes and its .flow fragment, which describe the attributes.
    """

    # Without the notes: port_capacity_apply is never unreachable. Both stay literal strings (ansible-test's yamllint
    # sanity test reads doc fragments from the source and fails on a computed one), hence the repeated block.
    ATTRIBUTES = r"""
attributes:
  action:
    support: full
    details:
      - Runs on the controller and talks to the host over the task's own connection, on ansible-core 2.16 to 2.21. Tested
        over winrm (Basic and NTLM, HTTP and HTTPS), psrp (NTLM and Basic, HTTP and HTTPS; needs pypsrp) and ssh with
        C(ansible_shell_type=powershell) (before ansible-core 2.18, Windows OpenSSH must have PowerShell as its default
        shell). The README's table says which core runs which test.
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

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details:
      - Runs on the controller and talks to the host over the task's own connection, on ansible-core 2.16 to 2.21. Tested
        over winrm (Basic and NTLM, HTTP and HTTPS), psrp (NTLM and Basic, HTTP and HTTPS; needs pypsrp) and ssh with
        C(ansible_shell_type=powershell) (before ansible-core 2.18, Windows OpenSSH must have PowerShell as its default
        shell). The README's table says which core runs which test.
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
notes:
  - A connection failure before any write makes the task unreachable (or failed, for a WinRM service fault) with
    C(Nothing was changed.) in its message. The configuration modules never report a write whose own verification was
    lost as a success; see the C(applied) and C(not_applied) return values and
    L(docs/reliability.md,https://github.com/portscale/tcpip/blob/main/docs/reliability.md).
"""

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a task action resolves on this controller: the role refuses ``reboot: allowed`` without win_reboot."""

from __future__ import annotations

from ansible.errors import AnsibleError


def plugin_resolves(name: str) -> bool:
    """Whether ansible-core on this controller can load ``name`` as a task's action (an action plugin or a module)."""
    # Imported here: the loaders belong to the running ansible-core, configured with the play's collection paths.
    from ansible.plugins.loader import action_loader, module_loader  # pylint: disable=import-outside-toplevel

    for loader in (action_loader, module_loader):
        try:
            if loader.find_plugin_with_context(name).resolved:
                return True
        except AnsibleError:
            continue
    return False

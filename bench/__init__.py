# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make bench``: wire cost, controller CPU and fleet scale of the collection against simulated hosts (docs/performance.md)."""

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A simulated Windows host (WinRM + TCP/IP settings) for testing portscale.tcpip without Windows."""

# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the reliability matrix (docs/reliability.md): simulated fleets and their control endpoint."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "row(ident): the docs/reliability.md row this test proves")

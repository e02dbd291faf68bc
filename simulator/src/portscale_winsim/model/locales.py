# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Display locales the simulator knows and their OEM code pages (docs/windows-facts.md §0).

Only en-US is complete. The others exist because docs/windows-facts.md holds real captures of *some* of their outputs; every other
output on those hosts fails loudly (see natives/texts.py).
"""

from __future__ import annotations

OEM_CODEPAGES: dict[str, int] = {
    "en-US": 437,
    "fr-FR": 850,
    "de-DE": 850,
    "zh-CN": 936,
}


def check_locale(locale: str) -> str:
    """Return the locale unchanged, or raise ValueError naming the supported ones."""
    if locale not in OEM_CODEPAGES:
        raise ValueError(f"unknown locale {locale!r}; choose one of {', '.join(sorted(OEM_CODEPAGES))}")
    return locale

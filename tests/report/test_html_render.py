# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML fleet report renders in a real browser: headless Chromium screenshots it, and the chart's bars are
read back from the pixels (one colour per headroom severity, the grey "before" bars, the host labels' space).

Run by `make role-report-test` (which installs Debian's chromium when missing); CHROMIUM names the binary, and
REPORT_TEST_OUTPUT keeps the HTML and the screenshot for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._report import report_files
from ansible_collections.portscale.tcpip.plugins.plugin_utils._report.report_html import COLOURS
from ansible_collections.portscale.tcpip.tests.report.png_pixels import count_colour, read_rgb
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.report_samples import ACTIVE, HOSTS, demo_summaries

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1280, 1100)
BROWSER_TIMEOUT = 120


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def output_dir():
    keep = os.environ.get("REPORT_TEST_OUTPUT")
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        os.makedirs(keep)
        yield keep
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield folder


@pytest.fixture(scope="module")
def html_path(output_dir):
    report_files.write_report(os.path.join(output_dir, "report"), demo_summaries(), HOSTS, ACTIVE, ["html"], "Demo fleet",
                              generated="2026-01-01T00:00:00+00:00")
    return os.path.join(output_dir, "report", "port_capacity.html")


@pytest.fixture(scope="module")
def screenshot(html_path, output_dir):
    if not CHROMIUM:
        pytest.fail("chromium is not installed: run `make role-report-test`, which installs the Debian package")
    png = os.path.join(output_dir, "report.png")
    with tempfile.TemporaryDirectory() as profile:
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--hide-scrollbars", f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={png}", f"file://{html_path}"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False)
    assert done.returncode == 0 and os.path.isfile(png), f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    with open(png, "rb") as handle:
        return read_rgb(handle.read())


def test_the_page_is_self_contained(html_path):
    with open(html_path, encoding="utf-8") as handle:
        text = handle.read()
    assert "<svg" in text and "</svg>" in text
    # Nothing a browser would fetch: no script, no external stylesheet, image, font or link target.
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=", text, re.I)
    assert not re.search(r"href=", text, re.I)


def test_the_screenshot_has_the_page_size(screenshot):
    width, height, rows = screenshot
    assert (width, height) == WINDOW and len(rows) == height


@pytest.mark.parametrize("severity, minimum", [("ok", 2000), ("warning", 300), ("critical", 30), ("before", 500)])
def test_the_chart_bars_are_drawn(screenshot, severity, minimum):
    """Each severity's bar colour is on screen: green for the converged hosts, amber for the crowded one, red for the exhausted one, grey before-bars."""
    _width, _height, rows = screenshot
    assert count_colour(rows, _rgb(COLOURS[severity])) >= minimum


def test_the_page_is_not_blank(screenshot):
    _width, _height, rows = screenshot
    white = count_colour(rows, (255, 255, 255), tolerance=0)
    assert white < WINDOW[0] * WINDOW[1] * 0.97

"""The HTML report in a real browser (headless Debian chromium): its script renders every
row offline, and the verdict banner is visible at the top of the screenshot, which is kept
under ``reports/test-artifacts/``."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.report_runs import CertifiedRun, certified_run

INSTALL_TIMEOUT = 600
BROWSER_TIMEOUT = 120
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--hide-scrollbars"]
NOT_CONFORMANT_RED = (0xC6, 0x28, 0x28)  # .osb-not-conformant in report.css


def chromium() -> str:
    """The chromium binary; installed with apt-get when missing and possible, else skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be installed (needs root and apt-get)")
    try:
        subprocess.run("apt-get update && apt-get install -y chromium", shell=True, check=True,
                       capture_output=True, timeout=INSTALL_TIMEOUT,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"chromium is not installed and installing it failed: {exc}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get installed no chromium binary")
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> CertifiedRun:
    return certified_run(tmp_path_factory)


def browse(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=BROWSER_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def test_report_renders_in_headless_chromium(run: CertifiedRun, tmp_path: Path,
                                             pytestconfig: pytest.Config) -> None:
    binary = chromium()
    url = run.file("report.html").as_uri()

    dom = browse(binary, tmp_path / "profile-dom", "--dump-dom", url).stdout
    assert 'class="osb-verdict-text">NOT CONFORMANT<' in dom
    rendered_rows = dom.count('<tbody class="results-table-row')
    assert rendered_rows >= len(run.report["results"])  # pytest-html's script ran offline

    artifacts = pytestconfig.rootpath / "reports" / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    screenshot = artifacts / "report-screenshot.png"
    screenshot.unlink(missing_ok=True)
    browse(binary, tmp_path / "profile-shot", "--window-size=1280,1600",
           f"--screenshot={screenshot}", url)
    assert screenshot.exists(), "chromium wrote no screenshot"
    width, height, top = png_top_rows(screenshot.read_bytes(), rows=400)
    assert (width, height) == (1280, 1600)
    red = sum(1 for row in top for pixel in row if near(pixel, NOT_CONFORMANT_RED))
    assert red > 20_000, f"the red NOT CONFORMANT banner is not near the top ({red} pixels)"


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel[:3], colour, strict=True))


def png_top_rows(data: bytes, rows: int) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Decode the first ``rows`` rows of an 8-bit RGB/RGBA PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    decoded = []
    for y in range(min(rows, height)):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous,
                         channels)
        decoded.append([tuple(line[x:x + channels]) for x in range(0, stride, channels)])
        previous = line
    return width, height, decoded


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        corner = previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + predictor) & 0xFF
    return line

"""Screenshots of the demo report (English and Chinese) and of documentation pages.

Renders each page in headless Chromium (Debian's ``chromium`` package) and writes PNG
files to ``screenshots/``, so a person can look at what users see. Run by
``make screenshots`` after ``make docs``; needs no network.

Usage: python tools/screenshots.py [OUTDIR [DOCS_HTML_DIR]]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
DOC_PAGES = ("index.html", "gallery.html", "concepts/templates.html", "tutorials/crm.html",
             "tutorials/notebook.html", "howto/property-testing.html",
             "api/salesfunnel.model.html")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("make screenshots needs Chromium: apt-get install chromium fonts-noto-cjk")


def shoot(browser: str, url: str, png: Path, width: int = 1200, height: int = 4000) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}",
                        f"--screenshot={png}", f"--window-size={width},{height}", url],
                       check=True, capture_output=True, timeout=120)
    print(f"  {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}", flush=True)


def split(png: Path, height: int = 1300) -> None:
    """Cut a tall screenshot into pages (trailing white space dropped), when Pillow is
    installed (it comes with matplotlib)."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        return
    with Image.open(png) as im:
        box = ImageOps.invert(im.convert("L")).getbbox()
        bottom = min(im.height, (box[3] if box else im.height) + 20)
        for i, y in enumerate(range(0, bottom, height)):
            im.crop((0, y, im.width, min(y + height, bottom))).save(
                png.with_name(f"{png.stem}-{i + 1}.png"))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    from salesfunnel.cli._demo import run_demo

    for lang in ("en", "zh"):
        print(f"report ({lang}) ...", flush=True)
        _, html = run_demo(lang=lang)
        page = out / f"report-{lang}.html"
        page.write_text(html, encoding="utf-8")
        shoot(browser, page.as_uri(), out / f"report-{lang}.png", 1100, 11000)
        split(out / f"report-{lang}.png")
        shoot(browser, page.as_uri(), out / f"report-{lang}-narrow.png", 480, 2400)
    docs = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "_build" / "html"
    for name in DOC_PAGES:
        page = docs / name
        if page.exists():
            print(f"docs {name} ...", flush=True)
            png = out / ("docs-" + name.replace("/", "-").replace(".html", ".png"))
            shoot(browser, page.as_uri(), png, 1200, 6000)
            split(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

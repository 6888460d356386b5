"""The HTML report in a real headless browser (Debian's chromium).

No extra Python packages: Chromium runs the report with a small check script appended
(it waits for the page, inspects every <img>, clicks the column headers and writes what
it saw into the DOM as JSON); ``--dump-dom`` prints the DOM and the test parses it. A
second run takes a screenshot. The report's Content Security Policy allows inline
scripts only, so any attempt to load something from outside shows up as a
``securitypolicyviolation`` event, which the check script records too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from report_world import make_big_world, toy_linker

from sellerlink.report import write_report


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"
)

CHECK_JS = r"""
<script>
(function(){
  var violations = [];
  document.addEventListener("securitypolicyviolation", function(e){ violations.push(e.blockedURI + " " + e.violatedDirective); });
  function run(){
    var imgs = Array.prototype.slice.call(document.images);
    var broken = imgs.filter(function(i){ return !(i.complete && i.naturalWidth > 0); }).map(function(i){ return i.alt; });
    var table = document.getElementById("leads-table");
    var ths = Array.prototype.slice.call(table.tHead.rows[0].cells);
    function col(name){ for (var k = 0; k < ths.length; k++) if (ths[k].textContent.trim() === name) return k; return -1; }
    function values(idx){ return Array.prototype.map.call(table.tBodies[0].rows, function(r){ return r.cells[idx].textContent.trim(); }); }
    var res = {n_img: imgs.length, broken: broken, violations: violations, widths: imgs.map(function(i){ return i.naturalWidth; })};
    var num = col("#"), acc = col("account"), score = col("score");
    res.initial = values(num);
    ths[num].click(); res.num_first = values(num); res.num_first_sort = ths[num].getAttribute("aria-sort");
    ths[num].click(); res.num_second = values(num);
    ths[acc].click(); res.acc_first = values(acc); res.acc_sort = ths[acc].getAttribute("aria-sort");
    res.num_sort_after = ths[num].getAttribute("aria-sort");
    ths[score].click(); res.score_first = values(score);
    ths[score].click(); res.score_second = values(score);
    var out = document.createElement("pre");
    out.id = "slk-test-result";
    out.textContent = JSON.stringify(res);
    document.body.appendChild(out);
  }
  if (document.readyState === "complete") run(); else window.addEventListener("load", run);
})();
</script>
"""


def _run_chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    accounts, watchlist = make_big_world(tmp / "photos", n=12)
    small_acc, small_watch = trace_world_records(tmp / "small")
    res = toy_linker().trace(accounts + small_acc, watchlist + small_watch)
    assert len(res.top()) >= 12
    return write_report(res, tmp / "report.html", title="Browser check")


def trace_world_records(tmp: Path):
    from report_world import make_world

    return make_world(tmp)


def test_report_renders_images_and_sorts_in_chromium(report, tmp_path):
    page = tmp_path / "checked.html"
    text = report.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", CHECK_JS + "</body>"), encoding="utf-8")
    proc = _run_chromium(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], tmp_path)
    m = re.search(r'<pre id="slk-test-result">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert m, f"no result from chromium (rc={proc.returncode}): {proc.stderr[-2000:]}"
    import html as _html

    res = json.loads(_html.unescape(m.group(1)))

    # every <img> decoded (the thumbnails are embedded data: URIs), nothing was fetched
    assert res["n_img"] >= 20
    assert res["broken"] == []
    assert min(res["widths"]) > 0
    assert res["violations"] == []

    n = len(res["initial"])
    as_int = [int(x) for x in res["initial"]]
    assert as_int == list(range(1, n + 1)) and n >= 12
    # numeric column: first click sorts descending *numerically* (12 before 9, not "9" before "12")
    assert [int(x) for x in res["num_first"]] == list(range(n, 0, -1))
    assert res["num_first_sort"] == "descending"
    assert [int(x) for x in res["num_second"]] == list(range(1, n + 1))
    # text column: first click ascending, and the other header's marker is cleared
    assert res["acc_first"] == sorted(res["acc_first"], key=str.lower)
    assert res["acc_sort"] == "ascending" and res["num_sort_after"] is None
    s1 = [float(x) for x in res["score_first"]]
    s2 = [float(x) for x in res["score_second"]]
    assert s1 == sorted(s1, reverse=True) and s2 == sorted(s2) and s1 != s2


def test_report_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = _run_chromium(
        ["--window-size=1280,1800", "--virtual-time-budget=3000", f"--screenshot={shot}", report.as_uri()], tmp_path
    )
    assert shot.exists(), f"no screenshot (rc={proc.returncode}): {proc.stderr[-2000:]}"
    with Image.open(shot) as im:
        img = im.convert("RGB")
    assert img.size == (1280, 1800)
    # not a blank page: the page background, white panels, text and coloured bars
    colours = img.resize((320, 450)).getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 200
    keep = os.environ.get("SELLERLINK_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)

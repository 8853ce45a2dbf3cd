"""(j) The staff console: what it ships, and how soon a person can use it on the local stack.

- JavaScript (and CSS) shipped, gzipped at level 9 as CloudFront's compression would send it, from
  console/dist (`make console` builds it). Target: at most 200 KB of JavaScript.
- Time until the contact list is usable: a real headless Chromium opens the console already signed in to the
  user pool (its hosted-UI session cookie, as after a first sign-in), so each load goes through the whole
  authorization-code-with-PKCE round and then the first page of contacts; from navigation to the first row
  shown. Median of LOADS loads, over CONTACTS contacts written into the table beforehand. Target: 1 s.
  The same list opened by a signed-in user from another page's link is measured too (the day's common case:
  no sign-in round).
- Requests per page view: everything the browser asked the stack for during one such load.
- Long lists: every contact loaded into the list by scrolling to its end, then the rows in the page (the list
  draws only those in view, whatever its length) and the 95th percentile of frame times while it scrolls
  through them all.

`python -m bench.console` runs this section alone (`--contacts N` or CRM_BENCH_CONSOLE_CONTACTS, 10,000 by
default; `--results FILE` adds its figures to the bench's results file)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.local_stack import RunningStack, start_stack, stop_stack
from bench.reports import contact_items

DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
CHROMIUM = "/usr/bin/chromium"
CONTACTS = int(os.environ.get("CRM_BENCH_CONSOLE_CONTACTS") or 10_000)
LOADS = 7
JS_TARGET_KB = 200
USABLE_TARGET_S = 1.0
SCROLL_FRAMES = 240


def shipped() -> dict[str, float]:
    """Kilobytes of JavaScript and CSS, gzipped."""
    sizes = {"js": 0, "css": 0}
    for path in (DIST / "assets").iterdir():
        kind = path.suffix.lstrip(".")
        if kind in sizes:
            sizes[kind] += len(gzip.compress(path.read_bytes(), compresslevel=9))
    return {f"{kind}_gzip_kb": round(size / 1024, 1) for kind, size in sizes.items()}


def seed(stack: RunningStack, count: int) -> float:
    """Puts `count` contacts straight into the stack's table as the API stores them (25 to a BatchWriteItem:
    posting ten thousand through the API would take the local stack minutes); the seconds it took."""
    import boto3  # noqa: PLC0415 - only the seeding talks to the embedded AWS directly

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.state["aws_endpoint"], region_name=stack.state["region"],
                            aws_access_key_id="local", aws_secret_access_key="local")
    items = contact_items(count)
    started = time.perf_counter()
    for first in range(0, len(items), 25):
        writes = [{"PutRequest": {"Item": item}} for item in items[first:first + 25]]
        dynamodb.batch_write_item(RequestItems={stack.state["table_name"]: writes})
    return time.perf_counter() - started


def measure_browser(stack: RunningStack, count: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this section drives a browser

    base = stack.state["http_url"]
    user = next(u for u in stack.state["demo_users"] if u["role"] == "sales")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"{base}/")
        page.fill("#username", user["email"])
        page.fill("#password", user["password"])
        page.click("button[type=submit]")
        page.wait_for_selector("a.row", timeout=30_000)
        page.close()
        loads, requests = [], []
        slowest: dict[str, list[float]] = {}
        for _ in range(LOADS):
            page = context.new_page()
            asked: list[str] = []
            page.on("request", lambda request, asked=asked: asked.append(request.url))
            page.on("requestfinished", lambda request: slowest.setdefault(_what(request.url), []).append(
                request.timing["responseEnd"]))
            started = time.perf_counter()
            page.goto(f"{base}/#/contacts")
            page.wait_for_selector("a.row", timeout=30_000)
            loads.append(time.perf_counter() - started)
            requests.append(len(asked))
            page.close()
        page = context.new_page()
        page.goto(f"{base}/#/contacts")
        page.wait_for_selector("a.row", timeout=30_000)
        opened = _opened_from_another_page(page)
        rows, frames = _scroll_through(page, count)
        browser.close()
    by_request = {what: round(statistics.median(ms)) for what, ms in slowest.items()}
    return {"usable_median_s": round(statistics.median(loads), 3), "usable_loads_s": [round(s, 3) for s in loads],
            "opened_median_s": round(statistics.median(opened), 3),
            "request_median_ms": dict(sorted(by_request.items(), key=lambda kv: -kv[1])),
            "requests_per_view": int(statistics.median(requests)), "rows_in_page": rows,
            "scroll_frame_p95_ms": frames}


def _opened_from_another_page(page: Any) -> list[float]:
    """A signed-in user going to the contacts list from another page of the console (its link in the
    navigation), LOADS times: from the click to the first row shown."""
    times = []
    for _ in range(LOADS):
        page.click("nav a[href='#/companies']")
        page.wait_for_selector("#companies-title", timeout=30_000)
        started = time.perf_counter()
        page.click("nav a[href='#/contacts']")
        page.wait_for_selector("a.row", timeout=30_000)
        times.append(time.perf_counter() - started)
    return times


def _what(url: str) -> str:
    """A request named by its path, the build's hashed asset names and a sign-in's code left out."""
    path = url.split("://", 1)[-1].partition("/")[2].split("?")[0]
    return "/assets/*" if path.startswith("assets/") else f"/{path}"


def _scroll_through(page: Any, count: int) -> tuple[int, float]:
    """Scrolls to the end until every contact is loaded; then the rows drawn, and the p95 frame time of one
    smooth scroll from the top to the bottom."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        loaded = page.evaluate("document.querySelector('.virtual-list > div').offsetHeight / 44")
        if loaded >= count:
            break
        page.evaluate("const l = document.querySelector('.virtual-list'); l.scrollTop = l.scrollHeight")
        page.wait_for_timeout(150)
    rows = page.evaluate("document.querySelectorAll('.virtual-row').length")
    frames = page.evaluate("""(frames) => new Promise((done) => {
        const list = document.querySelector('.virtual-list');
        list.scrollTop = 0;
        const step = (list.scrollHeight - list.clientHeight) / frames;
        const times = [];
        let last = performance.now();
        const tick = (now) => {
            times.push(now - last); last = now;
            list.scrollTop += step;
            if (times.length < frames) requestAnimationFrame(tick); else done(times.slice(1));
        };
        requestAnimationFrame(tick);
    })""", SCROLL_FRAMES)
    frames = sorted(frames)
    return rows, round(frames[int(len(frames) * 0.95) - 1], 1)


def measure(count: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"contacts": count, **shipped()}
    with tempfile.TemporaryDirectory(prefix="crm-bench-console-") as state_dir:
        stack = start_stack(Path(state_dir))
        try:
            figures["seed_s"] = round(seed(stack, count), 1)
            figures |= measure_browser(stack, count)
        finally:
            figures["stack_stop"] = stop_stack(stack)
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    js_met = "met" if figures["js_gzip_kb"] <= JS_TARGET_KB else "MISSED"
    usable_met = "met" if figures["usable_median_s"] <= USABLE_TARGET_S else "MISSED"
    print(f"\n(j) The staff console over {figures['contacts']:,} contacts (written in {figures['seed_s']} s)")
    print(f"  JavaScript shipped      {figures['js_gzip_kb']:>8.1f} KB gzipped (target <= {JS_TARGET_KB} KB: {js_met});"
          f" CSS {figures['css_gzip_kb']} KB")
    print(f"  contact list usable     {figures['usable_median_s']:>8.3f} s median of {LOADS} loads, sign-in round "
          f"included (target <= {USABLE_TARGET_S} s: {usable_met})")
    opened_met = "met" if figures["opened_median_s"] <= USABLE_TARGET_S else "MISSED"
    print(f"  ... opened signed in    {figures['opened_median_s']:>8.3f} s median of {LOADS}, from another page's "
          f"link (target <= {USABLE_TARGET_S} s: {opened_met})")
    own = figures["usable_median_s"] - figures["request_median_ms"].get("/v1/contacts", 0) / 1000
    print(f"  of which the console's   {own:>8.3f} s: all but the list's own API request (moto's index Query)")
    print(f"  requests per page view  {figures['requests_per_view']:>8}; median ms each: " + ", ".join(
        f"{what} {ms}" for what, ms in figures["request_median_ms"].items()))
    print(f"  rows in the page        {figures['rows_in_page']:>8} with all {figures['contacts']:,} loaded; "
          f"scroll frame p95 {figures['scroll_frame_p95_ms']} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=CONTACTS, help="contacts posted before measuring")
    parser.add_argument("--results", type=Path, help="a results file (make bench's) to add the figures to")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        raise SystemExit("console/dist holds no build: run `make console` first")
    figures = measure(args.contacts)
    print_figures(figures)
    if args.results:
        found = json.loads(args.results.read_text(encoding="utf-8")) if args.results.exists() else {}
        args.results.write_text(json.dumps(found | {"console": figures}, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        print(f"  added to {args.results}")


if __name__ == "__main__":
    main()

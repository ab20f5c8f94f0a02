"""Screenshots of the demo force for the README: run against `make demo` (PORT, default 8000).

    .venv/bin/python scripts/demo_screenshots.py [http://127.0.0.1:8000]
"""

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "hotspots-demo-2026"  # noqa: S105  (the demo's published password)
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# The demo's published authenticator key (demo/force.py), for the staff logins.
DEMO_TOTP_KEY = "11ca0dc0b7172678a90130bdf23155b7d9763b73"


def login(page: Page, base: str, username: str, shot: str = "") -> None:
    from django_otp.oath import totp

    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    if "/login/second-factor/" in page.url:
        if shot:
            page.screenshot(path=str(OUT / shot), full_page=True)
        page.fill("#id_code", f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
        page.click("#otp-submit")
    page.wait_for_url(f"{base}/")


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB",
                                   timezone_id="Europe/London").new_page()
        login(desk, base, "analyst", shot="second-factor.png")
        desk.goto(f"{base}/hotspots/")
        desk.wait_for_selector("#hotspot-wrap[data-cells]", timeout=30_000)
        desk.locator("#hotspot-list tr").first.locator("td").first.click()
        desk.screenshot(path=str(OUT / "hotspots-page.png"), full_page=True)
        desk.goto(f"{base}/")
        desk.wait_for_selector("#areamap-wrap[data-squares]", timeout=30_000)
        desk.wait_for_timeout(500)
        desk.screenshot(path=str(OUT / "overview.png"), full_page=True)
        desk.context.close()

        desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB",
                                   timezone_id="Europe/London").new_page()
        login(desk, base, "supervisor")
        desk.goto(f"{base}/tasking/")
        desk.locator("[data-testid=plans] a").first.click()
        desk.wait_for_selector("#plan-wrap[data-loaded]", timeout=30_000)
        first = desk.locator("#task-list tbody tr a").first
        first.click()
        desk.wait_for_timeout(800)
        desk.screenshot(path=str(OUT / "tasking-plan.png"), full_page=True)
        desk.click("a:has-text('Briefing')")
        desk.wait_for_selector("[data-testid=briefing-spot]")
        desk.screenshot(path=str(OUT / "briefing.png"), full_page=True)
        desk.goto(f"{base}/tasking/shifts/")
        desk.screenshot(path=str(OUT / "shifts.png"), full_page=True)
        desk.goto(f"{base}/live/")
        desk.wait_for_timeout(1500)
        desk.screenshot(path=str(OUT / "live.png"), full_page=True)
        desk.goto(f"{base}/dosage/")
        desk.screenshot(path=str(OUT / "dosage.png"), full_page=True)
        desk.goto(f"{base}/reports/dashboard/")
        desk.wait_for_selector("body[data-charts=ready]", timeout=30_000)
        desk.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
        desk.goto(f"{base}/reports/")
        desk.screenshot(path=str(OUT / "reports.png"), full_page=True)
        desk.goto(f"{base}/reports/neighbourhoods/")
        desk.screenshot(path=str(OUT / "neighbourhoods.png"), full_page=True)
        desk.goto(f"{base}/learn/matrix/")
        desk.screenshot(path=str(OUT / "training-matrix.png"), full_page=True)
        desk.context.close()

        phone = browser.new_context(**p.devices["Pixel 7"], locale="en-GB",
                                    timezone_id="Europe/London").new_page()
        login(phone, base, "officer")
        phone.goto(f"{base}/my-visits/")
        phone.screenshot(path=str(OUT / "my-visits.png"))
        phone.goto(f"{base}/patrol/")
        phone.wait_for_selector("#patrol[data-loaded]", timeout=30_000)
        phone.wait_for_timeout(800)
        phone.screenshot(path=str(OUT / "patrol.png"))
        phone.goto(f"{base}/learn/")
        phone.screenshot(path=str(OUT / "learning-phone.png"), full_page=True)
        phone.goto(f"{base}/learn/why-hot-spots/")
        phone.screenshot(path=str(OUT / "learning-lesson.png"))
        for step in range(4):  # to the check
            phone.click(f"section.lesson[data-step='{step}'] [data-go='{step + 1}']")
        phone.screenshot(path=str(OUT / "learning-quiz.png"))
        phone.goto(f"{base}/my-patrols/")
        phone.screenshot(path=str(OUT / "my-patrols.png"), full_page=True)
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")

"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Run with `make e2e` (or `.venv/bin/pytest -m e2e tests/e2e`). Every page a test visits is
checked for its stylesheet and run through axe-core; serious or critical violations fail.
"""

import os

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# beside one unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from conftest import PASSWORD  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 5_000
VIEWPORT = {"width": 1280, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
HEADER_BACKGROUND = "rgb(0, 94, 165)"  # .cs-header in caresight.css: proof the CSS loaded

expect.set_options(timeout=TIMEOUT_MS)

# Minor and moderate axe findings do not fail a test; they are listed at the end of the run.
_axe_notes: list[str] = []


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`.")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --no-audit --no-fund`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def urls_loaded():
    """Load the URL conf (and with it every view and its imports) before the browser's first
    request: on a busy machine that takes longer than the 5 s navigation timeout."""
    from django.urls import resolve

    resolve("/")


@pytest.fixture
def page(browser, live_server) -> Page:
    """A fresh browser context (no cookies) pointed at the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.failed_assets = []  # static files that did not load, checked on every audited page
    page.script_errors = []
    page.csp_violations = []  # what the Content-Security-Policy blocked, checked likewise

    def on_response(response):
        if "/static/" in response.url and response.status >= 400:
            page.failed_assets.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.on("console", lambda message: page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form."""
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def assert_styled(page: Page) -> None:
    """The GOV.UK stylesheet and scripts loaded: axe's colour checks mean nothing otherwise."""
    assert not page.failed_assets, (
        f"Static files failed to load on {page.url}: {page.failed_assets}"
    )
    background = page.locator(".cs-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == HEADER_BACKGROUND, (
        f"The header on {page.url} is {background}, not {HEADER_BACKGROUND}: "
        "caresight.css did not load"
    )
    assert not page.script_errors, f"JavaScript errors on {page.url}: {page.script_errors}"
    assert not page.csp_violations, (
        f"The Content-Security-Policy blocked something on {page.url}: {page.csp_violations}"
    )


def audit(page: Page, label: str) -> None:
    """Check the page's styles, then run axe-core; fail on serious or critical violations."""
    page.wait_for_load_state("load")
    assert_styled(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: an added <script> tag would be
        # inline script, which the pages' Content-Security-Policy rightly blocks.
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    failing = []
    for violation in results["violations"]:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]]
        line = (f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                f"({violation['helpUrl']})\n      on: " + "\n          ".join(targets))
        if violation["impact"] in FAILING_IMPACTS:
            failing.append(line)
        else:
            _axe_notes.append(f"{label} ({page.url}): {line}")
    if failing:
        pytest.fail(f"axe-core found violations on {label} ({page.url}):\n  "
                    + "\n  ".join(failing))


def pytest_terminal_summary(terminalreporter):
    if _axe_notes:
        terminalreporter.section("axe-core: minor and moderate findings (not failing)")
        for note in dict.fromkeys(_axe_notes):
            terminalreporter.write_line(note)

"""The Content-Security-Policy in a real browser: pages and the API documentation work under
it, and inline script without the page's nonce does not run."""

import pytest
from playwright.sync_api import Page, expect

from caresight.accounts.models import Role

from .conftest import audit, sign_in

# Authorities come from a data migration: serialized rollback restores them (see test_register).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_js_enabled_snippet_runs_under_the_policy(page: Page, live_server):
    page.goto("/accounts/sign-in/")
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled "
                                                "govuk-frontend-supported")
    audit(page, "sign-in")


def test_inline_script_without_the_nonce_is_blocked(page: Page, live_server):
    page.goto("/accounts/sign-in/")
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.body.appendChild(script);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in v for v in page.csp_violations)


def test_the_api_documentation_works_under_the_policy(page: Page, live_server):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Caresight API")
    expect(page.get_by_text("/api/locations/").first).to_be_visible()
    assert not page.script_errors, page.script_errors
    assert not page.csp_violations, page.csp_violations


def test_pages_with_charts_and_a_qr_code_show_no_violations(page: Page, live_server, make_user,
                                                            cambs):
    user = make_user(Role.COMMISSIONER, cambs)
    sign_in(page, user.email)
    page.goto("/returns/completeness/")
    expect(page.locator("figure.cs-chart svg")).to_be_visible()
    audit(page, "completeness")
    page.goto("/accounts/two-factor/")
    expect(page.locator("svg.segno")).to_be_visible()
    audit(page, "two-factor set-up")

"""A visitor fills the embeddable form in a real headless Chromium, on a page of another site."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def site_page(stack: RunningStack) -> Iterator[str]:
    """A customer's web page, served from an origin the demo form allows, embedding the form."""
    html = (f'<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body>'
            f'<h1>Talk to us</h1><script src="{stack.http_url}/forms/contact-us/embed.js"></script>'
            f'</body></html>').encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            """Quiet: the page is not under test."""

    server = ThreadingHTTPServer(("127.0.0.1", stack.page_port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"{stack.page_origin}/"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                    reason=f"{CHROMIUM} is missing (Debian package `chromium`; `make test` installs it)")
def test_visitor_submits_the_embedded_form(stack: RunningStack, site_page: str) -> None:
    from playwright.sync_api import sync_playwright

    email = f"maria.{uuid.uuid4().hex[:8]}@example.com"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            # Given the customer's page with the embedded form
            page.goto(site_page)
            page.wait_for_selector("form.crm-form input[name=email]", timeout=15_000)
            assert page.locator("form.crm-form input[name=website]").count() == 1

            # When a visitor fills it in like a person, taking longer than the minimum time to submit
            page.fill("form.crm-form input[name=email]", email)
            page.fill("form.crm-form input[name=first_name]", "Μαρία")
            page.fill("form.crm-form input[name=phone]", "+30 691 234 5678")
            time.sleep(2.5)
            page.locator("form.crm-form [type=submit]").click()

            # Then the form gives way to the success message
            success = page.wait_for_selector(".crm-form-success", timeout=15_000)
            assert "Thank you" in success.inner_text()
            assert page.locator(".crm-field-error").count() == 0
        finally:
            browser.close()

    # And the new contact is in the CRM, readable through the API
    listed = requests.get(f"{stack.http_url}/v1/contacts", params={"limit": "50"}, headers=stack.auth("marketing"),
                          timeout=10)
    assert listed.status_code == 200, listed.text
    contact = next((c for c in listed.json()["items"] if c["email"] == email), None)
    assert contact is not None, f"{email} is not among the contacts"
    assert contact["first_name"] == "Μαρία"
    assert contact["phone"] == "+306912345678"

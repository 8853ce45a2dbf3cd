"""Staff use the console in a real headless Chromium against the started local stack: they sign in through the
user pool (authorization code with PKCE), find a lead a web form just sent, open its card, read it right to left
in Persian, and sign out. axe-core checks every page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import CONSOLE, RunningStack, needs_chromium

pytestmark = pytest.mark.e2e

AXE = CONSOLE / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")



def sign_in(page: Any, stack: RunningStack, role: str) -> None:
    user = next(u for u in stack.state["demo_users"] if u["role"] == role)
    page.goto(f"{stack.http_url}/")
    page.wait_for_selector("#username", timeout=15_000)
    page.fill("#username", user["email"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("#contacts-title", timeout=15_000)


def post_lead(stack: RunningStack, first_name: str, last_name: str, phone: str) -> str:
    email = f"lead.{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(f"{stack.http_url}/forms/contact-us/submissions", allow_redirects=False, timeout=10,
                             headers={"Origin": stack.http_url},
                             data={"email": email, "first_name": first_name, "last_name": last_name, "phone": phone})
    assert response.status_code in (201, 303), response.text
    return email


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}" for v in result["violations"]
            if v["impact"] in SERIOUS]


@needs_chromium
def test_a_form_lead_appears_in_the_list_and_its_card(stack: RunningStack, browser: Any) -> None:
    # Given a lead a web form just sent, typed in Persian with a spaced phone number
    email = post_lead(stack, "مریم", "کاظمی", "+98 912 555 0101")
    page = browser.new_page()
    try:
        # When a seller signs in through the user pool
        sign_in(page, stack, "sales")
        # Then the lead is a row of the contacts list
        row = page.locator("a.row", has_text=email)
        row.wait_for(timeout=15_000)
        assert "مریم کاظمی" in row.inner_text()
        # And searching for the phone typed another way (Persian digits, spaced) finds the same person
        page.fill("#search-people", "+۹۸ ۹۱۲ ۵۵۵ ۰۱۰۱")
        page.locator(".search-results a", has_text="مریم").wait_for(timeout=15_000)
        # When the seller opens the card
        row.click()
        page.wait_for_selector("#contact-name", timeout=15_000)
        # Then it shows the person's fields and the form submission on the timeline
        assert page.inner_text("#contact-name") == "مریم کاظمی"
        assert email in page.inner_text(".card")
        page.locator(".timeline li[data-entry-type=contact_created]").wait_for(timeout=15_000)
        assert "web form" in page.inner_text(".timeline")
    finally:
        page.close()


@needs_chromium
def test_marketing_sees_a_forms_submissions_and_opens_the_contact_one_made(stack: RunningStack, browser: Any) -> None:
    # Given a lead a web form just sent
    email = post_lead(stack, "Siti", "Nurhaliza", f"+60 12 {uuid.uuid4().int % 10_000_000:07d}")
    page = browser.new_page()
    try:
        # When marketing opens the form's submissions
        sign_in(page, stack, "marketing")
        page.click("nav a[href='#/forms']")
        card = page.locator(".form-card[data-form-id=contact-us]")
        card.get_by_role("button", name="Submissions").click()
        # Then the submission is listed with what was sent, as a new contact
        row = card.locator(".submission-table tbody tr", has_text=email)
        row.wait_for(timeout=15_000)
        assert "Siti" in row.inner_text()
        # And it opens the card of the contact it made
        row.get_by_role("link", name="New contact").click()
        page.wait_for_selector("#contact-name", timeout=15_000)
        assert page.inner_text("#contact-name") == "Siti Nurhaliza"
    finally:
        page.close()


@needs_chromium
def test_persian_reads_right_to_left_and_stays_chosen_after_a_reload(stack: RunningStack, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        sign_in(page, stack, "marketing")
        # When the user switches the interface to Persian
        page.select_option(".preferences select", "fa")
        # Then the page is laid out right to left, in Persian, with the Solar Hijri calendar offered
        page.wait_for_function("document.documentElement.dir === 'rtl'", timeout=5_000)
        assert page.evaluate("document.documentElement.lang") == "fa"
        assert page.inner_text("#contacts-title") == "مخاطبان"
        brand = page.locator(".brand").bounding_box()
        assert brand is not None and brand["x"] > 640, "the brand should sit at the right edge"
        assert page.locator(".preferences select").nth(1).input_value() == "persian"
        # When the page is reloaded, the user pool's own session signs them in again without a password
        page.reload()
        page.wait_for_selector("#contacts-title", timeout=15_000)
        # Then Persian is still chosen
        assert page.inner_text("#contacts-title") == "مخاطبان"
        assert page.evaluate("document.documentElement.dir") == "rtl"
    finally:
        page.close()


@needs_chromium
def test_sign_out_forgets_the_tokens_and_asks_for_the_password_again(stack: RunningStack, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, stack, "support")
        # The tokens are nowhere a script or another site could read them
        stored = page.evaluate("JSON.stringify([Object.values(localStorage), Object.values(sessionStorage), "
                               "document.cookie])")
        assert "eyJ" not in stored
        assert all(cookie["httpOnly"] for cookie in context.cookies())
        # When the user signs out
        page.click("text=Sign out")
        # Then signing in asks for the password again
        page.wait_for_selector("#password", timeout=15_000)
        page.goto(f"{stack.http_url}/")
        page.wait_for_selector("#password", timeout=15_000)
    finally:
        context.close()


@needs_chromium
@pytest.mark.parametrize("language", ["en", "fa"])
def test_no_page_has_a_serious_accessibility_violation(stack: RunningStack, browser: Any, language: str) -> None:
    # A phone no other test posts: a second post with the same phone is the same person (one record).
    post_lead(stack, "Nikos", "Papadopoulos", f"+30 691 {uuid.uuid4().int % 10_000_000:07d}")
    # axe-core is added to the page as a script, which the console's Content-Security-Policy would refuse.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, stack, "admin")
        page.select_option(".preferences select", language)
        page.locator("a.row").first.wait_for(timeout=15_000)
        assert serious_violations(page) == []
        page.locator("a.row").first.click()
        page.wait_for_selector("#contact-name", timeout=15_000)
        assert serious_violations(page) == []
        new_deal(stack, "Athens renewal")
        page.click("nav a[href='#/deals']")
        page.locator(".deal").first.wait_for(timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/spam']")
        page.wait_for_selector("#spam-title", timeout=15_000)
        page.wait_for_selector(".submission, .spam p", timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/dashboards']")
        page.wait_for_selector("[data-widget=deals] figure", timeout=15_000)
        assert serious_violations(page) == []
        requests.post(f"{stack.http_url}/v1/companies", json={"name": "شرکت نمونه", "domain": "example.ir"},
                      headers=stack.auth("admin"), timeout=10)
        page.click("nav a[href='#/companies']")
        page.locator("a.company-row").first.wait_for(timeout=15_000)
        assert serious_violations(page) == []
        page.locator("a.company-row").first.click()
        page.wait_for_selector("#company-name", timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/forms']")
        page.locator(".form-card").first.wait_for(timeout=15_000)
        page.locator(".form-card[data-form-id=contact-us] button[aria-expanded]").click()
        page.locator(".submission-table").wait_for(timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/imports']")
        page.wait_for_selector("#imports-title", timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/audit']")
        page.locator(".audit-table tbody tr").first.wait_for(timeout=15_000)
        assert serious_violations(page) == []
        for href, title in (("#/scoring", "[data-rules=fit_rules]"), ("#/notifications", "#notifications-title"),
                            ("#/team", "#team-title")):
            page.click(f"nav a[href='{href}']")
            page.wait_for_selector(title, timeout=15_000)
            assert serious_violations(page) == [], href
        page.click("nav a[href='#/contacts']")
        page.fill("#search-people", "Nikos")
        page.locator(".search-results a").first.wait_for(timeout=15_000)
        assert serious_violations(page) == [], "search"
        contact_of(stack, mail_support(stack, "Eleni", "Η παραγγελία μου", "Πού είναι η παραγγελία μου;",
                                       attachment=b"%PDF-1.4"))
        page.click("nav a[href='#/cases']")
        page.locator("a.case-row").first.wait_for(timeout=15_000)
        assert serious_violations(page) == []
        page.locator("a.case-row").first.click()
        page.wait_for_selector("#case-subject", timeout=15_000)
        page.locator(".thread li button[aria-expanded]").first.click()
        page.wait_for_selector(".email-body", timeout=15_000)
        assert serious_violations(page) == []
    finally:
        context.close()


def test_the_console_is_served_with_a_strict_content_security_policy(stack: RunningStack) -> None:
    page = requests.get(f"{stack.http_url}/", timeout=10)
    assert page.status_code == 200 and '<div id="app">' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    config = requests.get(f"{stack.http_url}/config.json", timeout=10).json()
    assert config["client_id"] == stack.state["user_pool_client_id"]


def test_the_sign_in_stand_in_refuses_a_code_without_its_verifier(stack: RunningStack) -> None:
    # Given a code issued for a PKCE challenge
    session = requests.Session()
    query = {"response_type": "code", "client_id": stack.state["user_pool_client_id"],
             "redirect_uri": f"{stack.http_url}/", "state": "s1", "code_challenge_method": "S256",
             "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
    user = next(u for u in stack.state["demo_users"] if u["role"] == "sales")
    login = session.post(f"{stack.http_url}/login", data={**query, "username": user["email"],
                                                          "password": user["password"]},
                         allow_redirects=False, timeout=10)
    assert login.status_code == 302
    code = requests.utils.urlparse(login.headers["Location"]).query.split("code=")[1].split("&")[0]
    token = {"grant_type": "authorization_code", "client_id": query["client_id"], "code": code,
             "redirect_uri": query["redirect_uri"]}
    # When it is exchanged with the wrong verifier, then it is refused, and it is spent
    wrong = requests.post(f"{stack.http_url}/oauth2/token", data={**token, "code_verifier": "x" * 43}, timeout=10)
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    right = requests.post(f"{stack.http_url}/oauth2/token", timeout=10,
                          data={**token, "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"})
    assert right.status_code == 400
    # And a wrong password, or a redirect to another site, gets no code at all
    refused = session.post(f"{stack.http_url}/login", data={**query, "username": user["email"], "password": "nope"},
                           allow_redirects=False, timeout=10)
    assert refused.status_code == 401 and "Location" not in refused.headers
    elsewhere = requests.get(f"{stack.http_url}/oauth2/authorize", timeout=10,
                             params={**query, "redirect_uri": "https://evil.example/"})
    assert elsewhere.status_code == 400


def test_a_code_exchanged_with_its_verifier_gives_tokens_the_api_accepts(stack: RunningStack) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B's pair
    query = {"response_type": "code", "client_id": stack.state["user_pool_client_id"],
             "redirect_uri": f"{stack.http_url}/", "code_challenge_method": "S256",
             "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
    user = next(u for u in stack.state["demo_users"] if u["role"] == "admin")
    login = requests.post(f"{stack.http_url}/login", allow_redirects=False, timeout=10,
                          data={**query, "username": user["email"], "password": user["password"]})
    code = login.headers["Location"].split("code=")[1]
    tokens = requests.post(f"{stack.http_url}/oauth2/token", timeout=10, data={
        "grant_type": "authorization_code", "client_id": query["client_id"], "code": code,
        "redirect_uri": query["redirect_uri"], "code_verifier": verifier}).json()
    answer = requests.get(f"{stack.http_url}/v1/contacts", timeout=10,
                          headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200


def new_deal(stack: RunningStack, name: str) -> dict[str, Any]:
    created = requests.post(f"{stack.http_url}/v1/deals", json={"name": name, "amount_minor": 250_000,
                                                                 "currency": "EUR"},
                            headers=stack.auth("sales"), timeout=10)
    assert created.status_code == 201, created.text
    return created.json()


def open_board(page: Any, stack: RunningStack) -> None:
    sign_in(page, stack, "sales")
    page.click("nav >> text=Deals")
    page.wait_for_selector("#deals-title", timeout=15_000)


@needs_chromium
def test_a_deal_dragged_to_another_stage_moves_there(stack: RunningStack, browser: Any) -> None:
    # Given a new deal in the default pipeline's first stage
    deal = new_deal(stack, f"Tehran office {uuid.uuid4().hex[:6]}")
    pipelines = requests.get(f"{stack.http_url}/v1/pipelines", headers=stack.auth("sales"), timeout=10).json()
    pipeline = next(p for p in pipelines["items"] if p["id"] == deal["pipeline_id"])
    target = pipeline["stages"][2]["id"]
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        open_board(page, stack)
        card = page.locator(f"[data-deal-id='{deal['id']}']")
        card.wait_for(timeout=15_000)
        # When the seller drags it onto another stage's column
        card.drag_to(page.locator(f".column[data-stage='{target}']"))
        # Then the board says so and the API has it in that stage
        page.locator(".notice", has_text="moved to").wait_for(timeout=15_000)
        assert page.locator(f".column[data-stage='{target}'] [data-deal-id='{deal['id']}']").count() == 1
        stored = requests.get(f"{stack.http_url}/v1/deals/{deal['id']}", headers=stack.auth("sales"), timeout=10)
        assert stored.json()["stage"] == target
    finally:
        page.close()


@needs_chromium
def test_a_stale_drag_is_refused_with_a_clear_message(stack: RunningStack, browser: Any) -> None:
    # Given a board loaded with a deal on it
    deal = new_deal(stack, f"Kuala Lumpur {uuid.uuid4().hex[:6]}")
    pipelines = requests.get(f"{stack.http_url}/v1/pipelines", headers=stack.auth("sales"), timeout=10).json()
    pipeline = next(p for p in pipelines["items"] if p["id"] == deal["pipeline_id"])
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        open_board(page, stack)
        card = page.locator(f"[data-deal-id='{deal['id']}']")
        card.wait_for(timeout=15_000)
        # And a colleague moves the same deal meanwhile
        colleague = requests.patch(f"{stack.http_url}/v1/deals/{deal['id']}",
                                   json={"stage": pipeline["stages"][1]["id"]}, timeout=10,
                                   headers={**stack.auth("admin"), "If-Match": str(deal["version"])})
        assert colleague.status_code == 200, colleague.text
        # When the seller drags the card they loaded onto a third stage
        card.drag_to(page.locator(f".column[data-stage='{pipeline['stages'][3]['id']}']"))
        # Then the move is refused with a message that says why, and the card shows where the colleague put it
        page.locator(".notice.alert", has_text="changed by someone else").wait_for(timeout=15_000)
        column = page.locator(f".column[data-stage='{pipeline['stages'][1]['id']}']")
        assert column.locator(f"[data-deal-id='{deal['id']}']").count() == 1
        stored = requests.get(f"{stack.http_url}/v1/deals/{deal['id']}", headers=stack.auth("sales"), timeout=10)
        assert stored.json()["stage"] == pipeline["stages"][1]["id"]
    finally:
        page.close()


@needs_chromium
def test_a_spam_submission_is_released_into_a_contact(stack: RunningStack, browser: Any) -> None:
    # Given a real person whose browser's autofill filled the form's hidden honeypot field
    email = f"autofill.{uuid.uuid4().hex[:8]}@example.com"
    posted = requests.post(f"{stack.http_url}/forms/contact-us/submissions", allow_redirects=False, timeout=10,
                           headers={"Origin": stack.http_url},
                           data={"email": email, "first_name": "Nur", "website": "https://nur.example"})
    assert posted.status_code in (202, 303), posted.text
    page = browser.new_page()
    try:
        # When marketing opens spam review, sees why, and releases it
        sign_in(page, stack, "marketing")
        page.click("nav a[href='#/spam']")
        submission = page.locator("article.submission", has_text=email)
        submission.wait_for(timeout=15_000)
        assert "hidden field" in submission.inner_text()
        submission.get_by_role("button", name="Release into a contact").click()
        # Then it is a contact, whose card opens from there
        submission.get_by_role("link", name="open the contact").click()
        page.wait_for_selector("#contact-name", timeout=15_000)
        assert email in page.inner_text(".card")
    finally:
        page.close()


@needs_chromium
def test_a_manager_sees_the_dashboards_figures_as_charts_and_as_a_table(stack: RunningStack, browser: Any) -> None:
    # Given a lead posted this month, and the funnel's figures as the API gives them
    post_lead(stack, "Siti", "Rahman", "+60 12-555 0199")
    page = browser.new_page()
    try:
        # When a manager opens the dashboards straight from a link
        user = next(u for u in stack.state["demo_users"] if u["role"] == "admin")
        page.goto(f"{stack.http_url}/#/dashboards")
        page.fill("#username", user["email"])
        page.fill("#password", user["password"])
        page.click("button[type=submit]")
        chart = page.locator("[data-widget=funnel] figure").first
        chart.wait_for(timeout=15_000)
        zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        funnel = requests.get(f"{stack.http_url}/v1/dashboards/funnel", headers=stack.auth("admin"), timeout=10,
                              params={"grain": "month", "tz": zone})
        latest = funnel.json()["periods"][-1]
        # Then the chart draws a bar per month, and its table says this month's count, as the API counts it
        assert chart.locator("rect").count() == len(funnel.json()["periods"])
        row = chart.locator("tr", has_text=latest["period"])
        assert row.locator("td").inner_text() == str(latest["created"]) and latest["created"] >= 1
    finally:
        page.close()


@needs_chromium
def test_a_seller_logs_a_call_with_a_reminder_ticks_it_done_and_qualifies_the_lead(stack: RunningStack,
                                                                                 browser: Any) -> None:
    email = post_lead(stack, "Dmitri", "Volkov", "+7 912 555-01-77")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        sign_in(page, stack, "sales")
        page.locator("a.row", has_text=email).click()
        page.wait_for_selector("#activities-title", timeout=15_000)
        # When the seller logs a call due tomorrow with a reminder an hour before
        form = page.locator("form.log-activity")
        form.locator("select").select_option("call")
        form.get_by_label("Subject").fill("Call back about the quote")
        form.get_by_label("Due").fill("2030-01-15T10:00")
        form.get_by_label("Remind me at").fill("2030-01-15T09:00")
        form.get_by_role("button", name="Log it").click()
        # Then it is listed, with its reminder, and stored in UTC as the browser's 09:00
        item = page.locator(".activities li", has_text="Call back about the quote")
        item.wait_for(timeout=15_000)
        assert "reminder" in item.inner_text()
        contact_id = page.url.rsplit("/", 1)[1]
        stored = requests.get(f"{stack.http_url}/v1/activities", params={"contact_id": contact_id},
                              headers=stack.auth("sales"), timeout=10).json()["items"][0]
        expected = page.evaluate("new Date('2030-01-15T09:00').toISOString().replace(/\\.\\d{3}Z$/, 'Z')")
        assert stored["remind_at"] == expected
        # When it is ticked done, then the API has it done
        item.locator("input[type=checkbox]").check()
        page.wait_for_function(f"document.querySelector('[data-activity-id=\"{stored['id']}\"] input').checked")
        done = requests.get(f"{stack.http_url}/v1/activities/{stored['id']}", headers=stack.auth("sales"), timeout=10)
        assert done.json()["done"] is True
        # When the seller qualifies the lead into a deal, then the deal exists for the contact
        page.get_by_role("button", name="Qualify into a deal").click()
        page.get_by_label("Deal name").fill("Volkov licences")
        page.locator(".actions form button[type=submit]").click()
        page.locator(".actions [role=status]", has_text="A deal was opened").wait_for(timeout=15_000)
        deals = requests.get(f"{stack.http_url}/v1/deals", params={"contact_id": contact_id},
                             headers=stack.auth("sales"), timeout=10).json()["items"]
        assert [deal["name"] for deal in deals] == ["Volkov licences"]
    finally:
        page.close()


@needs_chromium
def test_the_list_on_screen_is_exported_with_its_filters(stack: RunningStack, browser: Any) -> None:
    email = post_lead(stack, "Eleni", "Georgiou", "+30 691 555 0123")
    page = browser.new_page()
    try:
        sign_in(page, stack, "marketing")
        # Given the list narrowed to leads
        page.locator(".toolbar select").nth(1).select_option("lead")
        page.locator("a.row", has_text=email).wait_for(timeout=15_000)
        # When it is exported as CSV
        page.get_by_role("button", name="Export this list").click()
        link = page.locator(".export a", has_text="Download")
        link.wait_for(timeout=30_000)
        # Then the file holds the lead, as the list showed it
        csv = requests.get(link.get_attribute("href"), timeout=10)
        assert csv.status_code == 200 and email in csv.content.decode("utf-8-sig")
    finally:
        page.close()


@needs_chromium
def test_a_spreadsheet_is_uploaded_mapped_checked_imported_and_reverted(stack: RunningStack, browser: Any) -> None:
    run = uuid.uuid4().hex[:8]
    rows = [f"nam{n}.{run}@example.com,Nam {n},+60 12-{n:03d} 4567" for n in range(3)]
    sheet = ("Email,First name,Phone\n" + "\n".join(rows) + "\nnot-an-email,Broken,\n").encode()
    page = browser.new_page()
    try:
        sign_in(page, stack, "marketing")
        page.click("nav a[href='#/imports']")
        # When marketing uploads a CSV of contacts
        page.set_input_files("input[type=file]", files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": sheet}])
        page.get_by_role("button", name="Upload").click()
        # Then its columns come back with a suggested mapping
        page.locator("table.mapping").wait_for(timeout=30_000)
        assert page.get_by_label("Field for column Email").input_value() == "email"
        # When it is checked without importing, then the counts say what would happen, and nothing is written yet
        page.get_by_role("button", name="Check without importing").click()
        page.locator(".import-job [role=status]", has_text="checked").wait_for(timeout=30_000)
        assert "errors: 1" in page.inner_text(".totals")
        page.locator(".import-job a", has_text="rows that failed").wait_for(timeout=10_000)
        search = {"q": f"nam0.{run}@example.com"}
        assert requests.get(f"{stack.http_url}/v1/search", params=search, headers=stack.auth("marketing"),
                            timeout=10).json()["items"] == []
        # When it is imported, then the people are contacts
        page.get_by_role("button", name="Import", exact=True).click()
        page.locator(".import-job [role=status]", has_text="imported").wait_for(timeout=30_000)
        assert "created: 3" in page.inner_text(".totals")
        # When it is reverted, then they are gone again
        page.get_by_role("button", name="Revert this import").click()
        page.locator(".import-job [role=status]", has_text="reverted").wait_for(timeout=30_000)
        contacts = requests.get(f"{stack.http_url}/v1/contacts", params={"limit": "200"},
                                headers=stack.auth("marketing"), timeout=10).json()["items"]
        assert not [c for c in contacts if (c.get("email") or "").endswith(f".{run}@example.com")]
    finally:
        page.close()


@needs_chromium
def test_marketing_relabels_a_form_field_and_makes_it_required(stack: RunningStack, browser: Any) -> None:
    # Given marketing's own form, made through the API
    form_id = f"signup-{uuid.uuid4().hex[:6]}"
    made = requests.put(f"{stack.http_url}/v1/forms/{form_id}", headers=stack.auth("marketing"), timeout=10, json={
        "name": "Newsletter", "allowed_origins": [stack.http_url], "fields": [
            {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "email"},
            {"name": "name", "label": "Name", "maps_to": "first_name"}]})
    assert made.status_code == 201, made.text
    page = browser.new_page()
    try:
        sign_in(page, stack, "marketing")
        page.click("nav a[href='#/forms']")
        card = page.locator(f"[data-form-id='{form_id}']")
        card.wait_for(timeout=15_000)
        # The embed snippet names the form's script on this origin
        assert f"/forms/{form_id}/embed.js" in card.get_by_label("Embed on your site").input_value()
        # When the Name field is relabelled in Persian and made required, and saved
        card.get_by_label("Label of name").fill("نام شما")
        card.get_by_label("name is required").check()
        card.get_by_role("button", name="Save the form").click()
        page.wait_for_function(f"document.querySelector(\"[data-form-id='{form_id}'] h2\") !== null")
        # Then the API holds the form's next version with the new label and rule
        saved = requests.get(f"{stack.http_url}/v1/forms/{form_id}", headers=stack.auth("marketing"), timeout=10).json()
        for _ in range(50):
            if saved["version"] == 2:
                break
            page.wait_for_timeout(100)
            saved = requests.get(f"{stack.http_url}/v1/forms/{form_id}", headers=stack.auth("marketing"),
                                 timeout=10).json()
        name = next(f for f in saved["config"]["fields"] if f["name"] == "name")
        assert (saved["version"], name["label"], name["required"]) == (2, "نام شما", True)
    finally:
        page.close()


@needs_chromium
def test_marketing_changes_a_rules_points_and_the_model_is_saved(stack: RunningStack, browser: Any) -> None:
    # The stack is shared with other tests, which score by the model as it was: it is put back at the end.
    original = requests.get(f"{stack.http_url}/v1/scoring-model", headers=stack.auth("admin"), timeout=10).json()
    page = browser.new_page()
    try:
        sign_in(page, stack, "marketing")
        page.click("nav a[href='#/scoring']")
        rule = page.locator("[data-rules=fit_rules] tbody tr").first
        rule.wait_for(timeout=15_000)
        label = rule.locator("th").inner_text()
        # When the first fit rule is worth 21 points and the model saved
        rule.locator("input").fill("21")
        page.get_by_role("button", name="Save and re-score").click()
        page.locator(".scoring [role=status]", has_text="Saved").wait_for(timeout=15_000)
        # Then the API's model has it
        model = requests.get(f"{stack.http_url}/v1/scoring-model", headers=stack.auth("marketing"), timeout=10).json()
        assert next(r for r in model["model"]["fit_rules"] if r["label"] == label)["points"] == 21
        # And a bad value is refused with the API's message naming the rule
        page.locator("[data-rules=fit_rules] tbody tr").first.locator("input").fill("-5000")
        page.get_by_role("button", name="Save and re-score").click()
        page.locator(".scoring [role=alert]").wait_for(timeout=15_000)
    finally:
        page.close()
        restored = requests.put(f"{stack.http_url}/v1/scoring-model", json=original["model"],
                                headers=stack.auth("admin"), timeout=10)
        assert restored.status_code == 200, restored.text


@needs_chromium
def test_a_fired_reminder_is_in_the_sellers_notifications_and_is_marked_read(stack: RunningStack,
                                                                             browser: Any) -> None:
    import datetime as dt
    import time

    # Given a call whose reminder fires a few seconds from now
    sales = stack.auth("sales")
    subject = f"Call about the renewal {uuid.uuid4().hex[:6]}"
    contact = requests.post(f"{stack.http_url}/v1/contacts", headers=sales, timeout=10,
                            json={"first_name": "Aisyah", "email": f"a.{uuid.uuid4().hex[:8]}@example.com"}).json()
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    created = requests.post(f"{stack.http_url}/v1/activities", headers=sales, timeout=10, json={
        "type": "call", "subject": subject, "contact_id": contact["id"],
        "due_at": (soon + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "remind_at": soon.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        notes = requests.get(f"{stack.http_url}/v1/notifications", headers=sales, timeout=10).json()["items"]
        if any(subject in n["title"] for n in notes):
            break
        time.sleep(0.5)
    page = browser.new_page()
    try:
        # When the seller opens their notifications
        sign_in(page, stack, "sales")
        page.click("nav a[href='#/notifications']")
        item = page.locator(".notification-list li", has_text=subject)
        item.wait_for(timeout=15_000)
        assert "unread" in (item.get_attribute("class") or "")
        # Then the badge beside the link counts it among the unread
        unread_before = len(requests.get(f"{stack.http_url}/v1/notifications", params={"unread": "true"},
                                         headers=sales, timeout=10).json()["items"])
        page.locator(f"nav .badge[data-unread='{unread_before}']").wait_for(timeout=15_000)
        # And marks it read, then it is read in the API too, and the badge counts one fewer
        item.get_by_role("button", name="Mark read").click()
        page.locator(".notification-list li.read", has_text=subject).wait_for(timeout=15_000)
        if unread_before > 1:
            page.locator(f"nav .badge[data-unread='{unread_before - 1}']").wait_for(timeout=15_000)
        else:
            page.locator("nav .badge").wait_for(state="detached", timeout=15_000)
        unread = requests.get(f"{stack.http_url}/v1/notifications", params={"unread": "true"}, headers=sales,
                              timeout=10).json()["items"]
        assert not [n for n in unread if subject in n["title"]]
    finally:
        page.close()


@needs_chromium
def test_a_user_sets_their_time_zone_and_an_admin_sees_every_user_with_their_roles(stack: RunningStack,
                                                                                  browser: Any) -> None:
    page = browser.new_page()
    try:
        sign_in(page, stack, "support")
        page.click("nav a[href='#/team']")
        page.wait_for_selector("form.profile", timeout=15_000)
        # When support sets their time zone, then their profile holds it
        page.get_by_label("Time zone (e.g. Asia/Tehran)").fill("Asia/Kuala_Lumpur")
        page.get_by_role("button", name="Save my profile").click()
        page.locator(".team [role=status]", has_text="Saved").wait_for(timeout=15_000)
        me = requests.get(f"{stack.http_url}/v1/users/me", headers=stack.auth("support"), timeout=10).json()
        assert me["time_zone"] == "Asia/Kuala_Lumpur"
        # And a zone that does not exist is refused with the API's message
        page.get_by_label("Time zone (e.g. Asia/Tehran)").fill("Mars/Olympus")
        page.get_by_role("button", name="Save my profile").click()
        page.locator(".team [role=alert]").wait_for(timeout=15_000)
        # Support sees no directory
        assert page.locator("table.users").count() == 0
    finally:
        page.close()
    # An admin (in a browser of their own) sees every demo user with their group
    admin = browser.new_page()
    try:
        sign_in(admin, stack, "admin")
        admin.click("nav a[href='#/team']")
        admin.wait_for_selector("table.users tbody tr", timeout=15_000)
        rows = admin.locator("table.users tbody tr").all_inner_texts()
        assert any("support@demo.crm.local" in row and "support" in row for row in rows)
    finally:
        admin.close()


def mail_support(stack: RunningStack, name: str, subject: str, text: str, attachment: bytes | None = None) -> Any:
    """An email to the support address over SMTP, as a customer sends one; it opens a case."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import make_msgid

    sender = f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com"
    mail = EmailMessage()
    mail["From"], mail["To"] = f"{name} <{sender}>", f"support@{stack.state['smtp']['recipients'][0]}"
    mail["Subject"], mail["Message-ID"] = subject, make_msgid(domain="example.com")
    mail.set_content(text)
    if attachment is not None:
        mail.add_attachment(attachment, maintype="application", subtype="pdf", filename="invoice.pdf")
    with smtplib.SMTP(stack.state["smtp"]["host"], stack.state["smtp"]["port"], timeout=10) as smtp:
        smtp.send_message(mail)
    return mail


def sender_of(mail: Any) -> str:
    return str(mail["From"]).rpartition("<")[2].rstrip(">")


def contact_of(stack: RunningStack, mail: Any) -> dict[str, Any]:
    """The contact the email made, once ingestion has stored it."""
    import time

    for _ in range(60):
        found = requests.get(f"{stack.http_url}/v1/search", params={"q": sender_of(mail)},
                             headers=stack.auth("admin"), timeout=10).json()["items"]
        if found:
            return dict(found[0])
        time.sleep(0.5)
    raise AssertionError(f"no contact for {sender_of(mail)}")


def replies_sent_to(stack: RunningStack, mail: Any) -> list[dict[str, Any]]:
    """What the stack sent the email's sender through SES, but the support desk's auto-reply."""
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "outbox", "--json"],
                            env=stack.environment, capture_output=True, text=True, timeout=30, check=True)
    return [m for m in json.loads(result.stdout) if sender_of(mail) in (m["destinations"] or [])
            and "Auto-Submitted" not in m["headers"]]


@needs_chromium
def test_a_seller_saves_a_filtered_list_as_a_view_and_opens_it_again(stack: RunningStack, browser: Any) -> None:
    # Given a view an admin shared with the team
    shared = requests.post(f"{stack.http_url}/v1/saved-views", headers=stack.auth("admin"), timeout=10,
                           json={"name": "All customers", "list": "/v1/contacts?lifecycle_stage=customer",
                                 "shared": True})
    assert shared.status_code == 201, shared.text
    page = browser.new_page()
    try:
        sign_in(page, stack, "sales")
        # When the seller shows the leads by score and saves that as a view of their own
        page.get_by_label("Sort by").select_option("score")
        page.get_by_label("Lifecycle stage").select_option("lead")
        page.get_by_label("Save this list as").fill("Hot leads")
        page.get_by_role("button", name="Save the view").click()
        views = page.get_by_label("Saved view")
        page.locator(".saved-views option:checked", has_text="Hot leads").wait_for(state="attached", timeout=15_000)
        # And goes back to the whole list through the team's view and then none
        views.select_option(label="All customers (team)")
        assert page.get_by_label("Lifecycle stage").input_value() == "customer"
        views.select_option(label="(none: the list as set here)")
        page.get_by_label("Lifecycle stage").select_option("")
        page.get_by_label("Sort by").select_option("created")
        # Then opening the saved view brings its filters and sort back
        views.select_option(label="Hot leads")
        assert page.get_by_label("Lifecycle stage").input_value() == "lead"
        assert page.get_by_label("Sort by").input_value() == "score"
        # And another role sees the team's view but not the seller's own
        mine = requests.get(f"{stack.http_url}/v1/saved-views", headers=stack.auth("marketing"), timeout=10).json()
        assert [v["name"] for v in mine["items"]] == ["All customers"]
    finally:
        page.close()


@needs_chromium
def test_a_case_is_answered_from_the_inbox_and_waits_for_the_customer(stack: RunningStack, browser: Any) -> None:
    # Given a customer's email with an invoice to the support address, which opened a case
    mail = mail_support(stack, "Dmitri", "Счёт не пришёл", "Здравствуйте, счёт за ноябрь не пришёл.",
                        attachment=b"%PDF-1.4 invoice")
    contact_of(stack, mail)
    page = browser.new_page()
    try:
        # When support opens the inbox
        sign_in(page, stack, "support")
        page.click("nav a[href='#/cases']")
        # Then the case is among the open ones
        row = page.locator("a.case-row", has_text="Счёт не пришёл")
        row.wait_for(timeout=15_000)
        row.click()
        page.wait_for_selector("#case-subject", timeout=15_000)
        # And its email opens with its text and its file, which downloads through a signed link
        page.locator(".thread li").first.get_by_role("button", name="Show the email").click()
        page.locator(".email-body", has_text="счёт за ноябрь").wait_for(timeout=15_000)
        with page.expect_download(timeout=15_000) as download:
            page.get_by_role("button", name="Download invoice.pdf (1 KB)").click()
        assert download.value.suggested_filename == "invoice.pdf"
        # When support answers and waits for the customer
        page.get_by_label("Your answer").fill("Отправили счёт ещё раз, проверьте почту.")
        page.get_by_role("button", name="Send the reply").click()
        page.locator("[role=status]", has_text="Your reply was sent").wait_for(timeout=15_000)
        page.get_by_role("button", name="Wait for the customer").click()
        page.wait_for_selector(".case[data-status=pending]", timeout=15_000)
        # Then the answer joined the case's thread and went out threaded with the customer's email
        page.locator(".thread li").nth(1).wait_for(timeout=15_000)
        [reply] = replies_sent_to(stack, mail)
        assert reply["headers"]["In-Reply-To"] == mail["Message-ID"]
        # And the case waits in the pending tab, no longer among the open ones
        page.click("text=Back to the inbox")
        page.click("button[data-status=pending]")
        page.locator("a.case-row", has_text="Счёт не пришёл").wait_for(timeout=15_000)
    finally:
        page.close()


@needs_chromium
def test_an_email_is_answered_from_the_contacts_timeline_threaded_with_it(stack: RunningStack, browser: Any) -> None:
    # Given a customer's email to the support address, which made them a contact
    mail = mail_support(stack, "Leila", "Where is my invoice?", "Hello, I have not received the invoice for November.")
    contact = contact_of(stack, mail)
    page = browser.new_page()
    try:
        # When an admin opens the card and answers the email from its timeline
        sign_in(page, stack, "admin")
        page.goto(f"{stack.http_url}/#/contacts/{contact['id']}")
        entry = page.locator(".timeline li[data-entry-type=email_received]")
        entry.wait_for(timeout=15_000)
        entry.get_by_role("button", name="Reply").click()
        entry.get_by_label("Your answer").fill("It is attached to this reply's thread; sorry for the wait.")
        entry.get_by_role("button", name="Send the reply").click()
        page.locator(".timeline [role=status]", has_text="Your reply was sent").wait_for(timeout=15_000)
        # Then the reply went out to the customer, threaded with their email
        replies = replies_sent_to(stack, mail)
        assert len(replies) == 1 and replies[0]["subject"] == "Re: Where is my invoice?"
        assert replies[0]["headers"]["In-Reply-To"] == mail["Message-ID"]
    finally:
        page.close()

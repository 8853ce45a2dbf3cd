"""The console's settings pages in a real headless Chromium against the started local stack: admins and marketing
open them from Settings and set the CRM up (workflows, assignment rules, reports, custom fields, pipelines, email
templates), and axe-core checks every one of them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import requests

from tests.e2e.conftest import RunningStack, needs_chromium
from tests.e2e.test_console import serious_violations, sign_in

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def open_setting(page: Any, href: str, title: str) -> None:
    """From the one Settings link in the navigation to one of its pages."""
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("#settings-title", timeout=15_000)
    page.click(f".settings-links a[href='{href}']")
    page.wait_for_selector(title, timeout=15_000)


def new_template(stack: RunningStack, tag: str) -> dict[str, Any]:
    template = requests.post(f"{stack.http_url}/v1/email-templates", headers=stack.auth("marketing"), timeout=10,
                             json={"name": f"Welcome {tag}", "topic": "transactional", "variants": {
                                 "en": {"subject": f"Welcome {tag}, {{{{ contact.first_name }}}}",
                                        "text": "Hello {{ contact.first_name }}, thank you for writing."}}})
    assert template.status_code == 201, template.text
    return dict(template.json())


def new_contact(stack: RunningStack, first_name: str, tag: str) -> dict[str, Any]:
    contact = requests.post(f"{stack.http_url}/v1/contacts", headers=stack.auth("admin"), timeout=10,
                            json={"first_name": first_name, "email": f"{first_name.lower()}.{tag}@example.com"})
    assert contact.status_code == 201, contact.text
    return dict(contact.json())


def eventually(read: Callable[[], T], done: Callable[[T], bool], seconds: float = 15) -> T:
    """What `read` gives once `done` holds for it, or when the time is up."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    return value


def workflow_ids(stack: RunningStack) -> set[str]:
    answer = requests.get(f"{stack.http_url}/v1/workflows", headers=stack.auth("admin"), timeout=10)
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


@needs_chromium
def test_an_admin_creates_a_workflow_from_a_template_switches_it_on_and_off_and_dry_runs_it(
        stack: RunningStack, browser: Any) -> None:
    # Given an email template to send and a contact to try the workflow on
    tag = uuid.uuid4().hex[:6]
    template = new_template(stack, tag)
    contact = new_contact(stack, "Dariush", tag)
    before = workflow_ids(stack)
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/workflows", "#workflows-title")
        # When the admin makes the welcome workflow from its template, sending that email
        page.select_option("#workflow-template", "welcome-after-form")
        page.select_option("#workflow-email-template", template["id"])
        page.click(".workflow-new button[type=submit]")
        page.wait_for_selector(".workflow-new [role=status]:has-text('was created')", timeout=15_000)
        # Then it is listed, paused, and its webhook secret was shown this once
        [made] = workflow_ids(stack) - before
        row = page.locator(f"tr[data-workflow-id='{made}']")
        row.wait_for(timeout=15_000)
        assert row.get_attribute("data-status") == "paused"
        # When the admin switches it on, then off again
        row.locator("button.toggle").click()
        page.wait_for_selector(f"tr[data-workflow-id='{made}'][data-status=active]", timeout=15_000)
        page.locator(f"tr[data-workflow-id='{made}'] button.toggle").click()
        page.wait_for_selector(f"tr[data-workflow-id='{made}'][data-status=paused]", timeout=15_000)
        stored = requests.get(f"{stack.http_url}/v1/workflows/{made}", headers=stack.auth("admin"), timeout=10)
        assert stored.json()["status"] == "paused"
        # And dry-runs it against the contact
        page.locator(f"tr[data-workflow-id='{made}'] button.open").click()
        page.fill("#dry-run-contact", contact["id"])
        page.click(".dry-run button[type=submit]")
        # Then it shows the steps the workflow would take, the email among them, and that it wrote nothing
        page.locator(".dry-run-steps li[data-step-type=send_email]").wait_for(timeout=15_000)
        assert f"Welcome {tag}, Dariush" in page.inner_text(".dry-run-steps")
        # And its runs, of which there are none yet
        page.wait_for_selector(".runs-none, table.runs", timeout=15_000)
    finally:
        page.close()


@needs_chromium
def test_an_admin_adds_a_custom_field_and_it_is_listed(stack: RunningStack, browser: Any) -> None:
    key = f"tier_{uuid.uuid4().hex[:6]}"
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/custom-fields", "#custom-fields-title")
        page.locator(".custom-fields-table tbody tr").first.wait_for(timeout=15_000)
        # When the admin adds a picklist field to contacts
        page.select_option("#custom-fields-entity", "contact")
        page.fill("#field-key", key)
        page.fill("#field-label", "Loyalty tier")
        page.select_option("#field-type", "picklist")
        page.fill("#field-options", "Gold, Silver")
        page.click(".field-new button[type=submit]")
        # Then it is listed with its options
        row = page.locator(f"tr[data-field-key='{key}']")
        row.wait_for(timeout=15_000)
        assert row.locator("input").first.input_value() == "Loyalty tier"
        # When its label is changed and saved
        row.locator("input").first.fill("Customer tier")
        row.locator("button.save").click()
        # Then the API has the new label and both options
        page.wait_for_selector(".custom-fields-table [role=alert]", state="detached", timeout=5_000)
        def stored() -> dict[str, Any]:
            fields = requests.get(f"{stack.http_url}/v1/custom-fields", params={"entity": "contact"},
                                  headers=stack.auth("admin"), timeout=10).json()["items"]
            return dict(next(f for f in fields if f["key"] == key))

        field = eventually(stored, lambda f: f["label"] == "Customer tier")
        assert field["label"] == "Customer tier" and sorted(field["options"]) == ["Gold", "Silver"]
    finally:
        page.close()


@needs_chromium
def test_an_admin_creates_a_pipeline_and_adds_a_stage_to_it(stack: RunningStack, browser: Any) -> None:
    name = f"Renewals {uuid.uuid4().hex[:6]}"
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/pipelines", "#pipelines-title")
        # Given a new pipeline with one stage
        page.fill("#pipeline-name", name)
        page.fill("#pipeline-first-stage", "Offer made")
        page.click(".pipeline-new button[type=submit]")
        card = page.locator("article.pipeline-card", has_text=name)
        card.wait_for(timeout=15_000)
        # When the admin adds a stage and saves the pipeline
        card.locator(".stage-new input").first.fill("Signed")
        card.locator(".stage-new button[type=submit]").click()
        card.locator("tr[data-stage-id=signed]").wait_for(timeout=5_000)
        card.locator("form:not(.stage-new) button[type=submit]").click()
        page.wait_for_selector(f".pipelines-status:has-text('{name} was saved')", timeout=15_000)
        # Then the pipeline has both stages, in order, and still ends in won and lost
        pipeline_id = card.get_attribute("data-pipeline-id")
        stored = requests.get(f"{stack.http_url}/v1/pipelines/{pipeline_id}", headers=stack.auth("sales"),
                              timeout=10).json()
        assert [stage["name"] for stage in stored["stages"]] == ["Offer made", "Signed"]
        assert [stage["id"] for stage in stored["closed_stages"]] == ["won", "lost"]
    finally:
        page.close()


@needs_chromium
def test_an_admin_moves_an_assignment_rule_below_the_next(stack: RunningStack, browser: Any) -> None:
    # Given two rules, tried one after the other, for a source no lead comes from
    admin, tag = stack.auth("admin"), uuid.uuid4().hex[:6]
    users = requests.get(f"{stack.http_url}/v1/users", headers=admin, timeout=10).json()["users"]
    rules = []
    for name in (f"First {tag}", f"Second {tag}"):
        made = requests.post(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10, json={
            "name": name, "strategy": "round_robin", "conditions": {"sources": [f"nowhere-{tag}"]},
            "members": [{"user_id": users[0]["id"]}]})
        assert made.status_code == 201, made.text
        rules.append(made.json())
    first, second = rules
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        page.click("nav a[href='#/settings']")
        page.click(".settings-links a[href='#/assignment']")
        row = page.locator(f"tr[data-rule-id='{first['id']}']")
        row.wait_for(timeout=15_000)
        # When the admin moves the first one down
        row.locator("button.down").click()
        page.wait_for_selector(".assignment [role=status]:has-text('new order')", timeout=15_000)
        # Then the second is tried before the first, on the page and in the API
        page.locator("tr[data-rule-id]").last.wait_for(timeout=15_000)
        shown = eventually(lambda: [r.get_attribute("data-rule-id") for r in page.locator("tr[data-rule-id]").all()],
                           lambda ids: ids.index(second["id"]) < ids.index(first["id"]))
        assert shown.index(second["id"]) < shown.index(first["id"])
        order = [r["id"] for r in requests.get(f"{stack.http_url}/v1/assignment-rules", headers=admin,
                                                timeout=10).json()["items"]]
        assert order.index(second["id"]) < order.index(first["id"])
    finally:
        page.close()
        for rule in rules:
            requests.delete(f"{stack.http_url}/v1/assignment-rules/{rule['id']}", headers=admin, timeout=10)


@needs_chromium
def test_a_saved_report_is_run_and_its_table_shown(stack: RunningStack, browser: Any) -> None:
    # Given a saved report of contacts by lifecycle stage
    tag = uuid.uuid4().hex[:6]
    new_contact(stack, "Mina", tag)
    report = requests.post(f"{stack.http_url}/v1/reports", headers=stack.auth("admin"), timeout=10, json={
        "name": f"By stage {tag}", "entity": "contacts", "group_by": [{"field": "lifecycle_stage"}]})
    assert report.status_code == 201, report.text
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/reports", "#reports-title")
        # When the admin runs it
        page.locator(f"tr[data-report-id='{report.json()['id']}'] button.run").click()
        # Then its table shows a row per stage, with the count, and the totals
        page.locator(".report-table tbody tr").first.wait_for(timeout=15_000)
        headers = page.locator(".report-table thead th").all_inner_texts()
        assert headers == ["lifecycle_stage", "count"]
        assert page.locator(".report-table tfoot tr.totals").count() == 1
    finally:
        page.close()


@needs_chromium
def test_marketing_previews_an_email_template_as_a_contact_would_get_it(stack: RunningStack, browser: Any) -> None:
    # Given a template and a contact
    tag = uuid.uuid4().hex[:6]
    template = new_template(stack, tag)
    contact = new_contact(stack, "Shirin", tag)
    page = browser.new_page()
    try:
        sign_in(page, stack, "marketing")
        open_setting(page, "#/email-templates", "#email-templates-title")
        # When marketing opens it and previews it for the contact
        page.locator(f"tr[data-template-id='{template['id']}'] button.open").click()
        page.fill("#preview-contact", contact["id"])
        page.click(".template-preview button[type=submit]")
        # Then the subject and body are filled in with the contact's fields
        page.wait_for_selector(".preview-subject", timeout=15_000)
        assert page.inner_text(".preview-subject") == f"Welcome {tag}, Shirin"
        assert "Hello Shirin" in page.inner_text(".preview-text")
    finally:
        page.close()


@needs_chromium
@pytest.mark.parametrize("language", ["en", "fa", "ar", "ru"])
def test_no_settings_page_has_a_serious_accessibility_violation(stack: RunningStack, browser: Any,
                                                                 language: str) -> None:
    # Given a template with an HTML body, a contact to preview it for, and a report
    tag = uuid.uuid4().hex[:6]
    template = new_template(stack, tag)
    requests.put(f"{stack.http_url}/v1/email-templates/{template['id']}", headers=stack.auth("marketing"),
                 timeout=10, json={"name": template["name"], "topic": "transactional", "variants": {
                     "en": {**template["variants"]["en"], "html": "<p>Hello {{ contact.first_name }}</p>"}}})
    contact = new_contact(stack, "Leila", tag)
    report = requests.post(f"{stack.http_url}/v1/reports", headers=stack.auth("admin"), timeout=10,
                           json={"name": f"All contacts {tag}", "entity": "contacts"}).json()
    # axe-core is added to the page as a script, which the console's Content-Security-Policy would refuse.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, stack, "admin")
        page.select_option(".preferences select", language)
        page.click("nav a[href='#/settings']")
        page.wait_for_selector("#settings-title", timeout=15_000)
        assert serious_violations(page) == []
        for href, ready in (("#/workflows", ".workflow-new"), ("#/assignment", "#rule-new"),
                            ("#/reports", ".report-list"), ("#/custom-fields", ".custom-fields-table tbody tr"),
                            ("#/pipelines", "article.pipeline-card"), ("#/email-templates", ".template-list")):
            page.click("nav a[href='#/settings']")
            page.click(f".settings-links a[href='{href}']")
            page.locator(ready).first.wait_for(timeout=15_000)
            assert serious_violations(page) == [], href
        # And the forms that open from a page
        page.click("nav a[href='#/settings']")
        page.click(".settings-links a[href='#/assignment']")
        page.click("#rule-new")
        page.wait_for_selector(".rule-form", timeout=15_000)
        assert serious_violations(page) == []
        page.click("nav a[href='#/settings']")
        page.click(".settings-links a[href='#/email-templates']")
        page.locator(f"tr[data-template-id='{template['id']}'] button.open").click()
        page.wait_for_selector(".template-editor", timeout=15_000)
        page.fill("#preview-contact", contact["id"])
        page.click(".template-preview button[type=submit]")
        page.wait_for_selector("iframe.preview-html", timeout=15_000)
        assert serious_violations(page) == []
        # The workflow written from scratch, with a step of every kind
        page.click("nav a[href='#/settings']")
        page.click(".settings-links a[href='#/workflows']")
        page.click("#workflow-write")
        for index in range(page.locator("#workflow-step-type option").count()):
            page.select_option("#workflow-step-type", index=index)
            page.click("#workflow-add-step")
        assert page.locator(".workflow-step").count() == 6
        assert serious_violations(page) == []
        # A report's edit form and its run with the downloads
        page.click("nav a[href='#/settings']")
        page.click(".settings-links a[href='#/reports']")
        page.locator(f"tr[data-report-id='{report['id']}'] button.edit").click()
        page.wait_for_selector(".report-edit", timeout=15_000)
        page.locator(f"tr[data-report-id='{report['id']}'] button.run").click()
        page.wait_for_selector(".report-downloads", timeout=15_000)
        assert serious_violations(page) == []
    finally:
        context.close()


@needs_chromium
def test_a_report_made_on_the_page_is_scheduled_unscheduled_and_deleted(stack: RunningStack, browser: Any) -> None:
    name = f"Deals by stage {uuid.uuid4().hex[:6]}"
    admin = stack.auth("admin")
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/reports", "#reports-title")
        # When the admin saves a report of deals grouped by stage
        page.fill("#report-name", name)
        page.select_option("#report-entity", "deals")
        page.fill("#report-group-by", "stage")
        page.click(".report-new button[type=submit]")
        row = page.locator("tr[data-report-id]", has_text=name)
        row.wait_for(timeout=15_000)
        report_id = row.get_attribute("data-report-id")
        # And emails it every Monday to a manager
        row.locator("button.schedule").click()
        page.fill("#schedule-recipients", "manager@example.com")
        page.click(".report-schedule button[type=submit]")
        # Then the list shows its schedule, as the API keeps it
        page.locator(f"tr[data-report-id='{report_id}']", has_text="cron(0 8 ? * MON *)").wait_for(timeout=15_000)
        stored = requests.get(f"{stack.http_url}/v1/reports/{report_id}", headers=admin, timeout=10).json()
        assert stored["schedule"]["recipients"] == ["manager@example.com"]
        # When the schedule is cleared, then it is not scheduled any more
        page.locator(f"tr[data-report-id='{report_id}'] button.schedule").click()
        page.click(".report-schedule button:has-text('Stop emailing it')")
        page.locator(f"tr[data-report-id='{report_id}']", has_text="Not scheduled").wait_for(timeout=15_000)
        # When it is deleted, then it is gone
        page.locator(f"tr[data-report-id='{report_id}'] button.delete").click()
        page.locator(f"tr[data-report-id='{report_id}']").wait_for(state="detached", timeout=15_000)
        gone = requests.get(f"{stack.http_url}/v1/reports/{report_id}", headers=admin, timeout=10)
        assert gone.status_code == 404
    finally:
        page.close()


@needs_chromium
def test_an_admin_writes_an_assignment_rule_on_the_page_and_deletes_it(stack: RunningStack, browser: Any) -> None:
    name = f"Iran leads {uuid.uuid4().hex[:6]}"
    admin = stack.auth("admin")
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/assignment", "#assignment-title")
        # When the admin writes a weighted rule for leads from Iran with the first user of the pool
        page.click("#rule-new")
        page.fill("#rule-name", name)
        page.select_option("#rule-strategy", "weighted")
        page.get_by_label("Countries (two-letter codes)").fill("ir")
        page.locator(".rule-form .member input[type=checkbox]").first.check()
        page.click(".rule-form button[type=submit]")
        # Then it is the last rule tried, with its conditions as the API keeps them
        row = page.locator("tr[data-rule-id]", has_text=name)
        row.wait_for(timeout=15_000)
        rules = requests.get(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10).json()["items"]
        assert rules[-1]["name"] == name and rules[-1]["strategy"] == "weighted"
        assert rules[-1]["conditions"]["countries"] == ["IR"] and len(rules[-1]["members"]) == 1
        # When it is deleted, then it is gone
        row.locator("button.delete").click()
        row.wait_for(state="detached", timeout=15_000)
        rules = requests.get(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10).json()["items"]
        assert name not in [rule["name"] for rule in rules]
    finally:
        page.close()
        # A rule left behind would give other tests' Iranian leads an owner.
        for rule in requests.get(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10).json()["items"]:
            if rule["name"] == name:
                requests.delete(f"{stack.http_url}/v1/assignment-rules/{rule['id']}", headers=admin, timeout=10)


@needs_chromium
def test_a_workflow_written_from_scratch_shows_the_apis_refusal_by_its_field_then_is_saved_and_deleted(
        stack: RunningStack, browser: Any) -> None:
    # Given an email template to send
    tag = uuid.uuid4().hex[:6]
    template = new_template(stack, tag)
    name = f"Nurture {tag}"
    admin = stack.auth("admin")
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/workflows", "#workflows-title")
        # When the admin writes a workflow started by a new contact: send the email, wait, set a field
        page.click("#workflow-write")
        page.fill("#workflow-name", name)
        page.check(".workflow-trigger input[value='Contact Created']")
        for kind in ("send_email", "wait", "set_field"):
            page.select_option("#workflow-step-type", kind)
            page.click("#workflow-add-step")
        page.select_option("#step-0-template", template["id"])
        page.fill("#step-1-duration-days", "0")
        page.fill("#step-2-value", "mql")
        page.click(".workflow-editor button[type=submit]")
        # Then the API's refusal of a wait of no time is shown beside that step, and nothing is saved
        page.wait_for_selector(".workflow-step[data-step-type=wait] .field-errors", timeout=15_000)
        assert "366 days" in page.inner_text(".workflow-step[data-step-type=wait] .field-errors")
        assert page.locator(".workflow-step[data-step-type=send_email] .field-errors").count() == 0
        listed = requests.get(f"{stack.http_url}/v1/workflows", headers=admin, timeout=10).json()["items"]
        assert name not in [workflow["name"] for workflow in listed]
        # When the wait is made two days and the workflow saved again
        page.fill("#step-1-duration-days", "2")
        page.click(".workflow-editor button[type=submit]")
        row = page.locator("tr[data-workflow-id]", has_text=name)
        row.wait_for(timeout=15_000)
        # Then the API keeps it as written, a draft
        workflow_id = row.get_attribute("data-workflow-id")
        stored = requests.get(f"{stack.http_url}/v1/workflows/{workflow_id}", headers=admin, timeout=10).json()
        assert stored["status"] == "draft" and stored["trigger"]["events"] == ["Contact Created"]
        assert [(step["type"], step["id"]) for step in stored["steps"]] == [
            ("send_email", "send-email-1"), ("wait", "wait-1"), ("set_field", "set-field-1")]
        assert stored["steps"][0]["template_id"] == template["id"]
        assert stored["steps"][1]["duration"]["days"] == 2
        assert stored["steps"][2] == {"id": "set-field-1", "type": "set_field", "field": "lifecycle_stage",
                                      "value": "mql"}
        # When it is deleted
        row.locator("button.delete").click()
        # Then it is gone from the page and the API
        page.locator(f"tr[data-workflow-id='{workflow_id}']").wait_for(state="detached", timeout=15_000)
        gone = requests.get(f"{stack.http_url}/v1/workflows/{workflow_id}", headers=admin, timeout=10)
        assert gone.status_code == 404
    finally:
        page.close()


@needs_chromium
def test_a_workflow_made_from_a_template_has_its_days_set_then_edited(stack: RunningStack, browser: Any) -> None:
    # Given an email template for the win-back workflow
    tag = uuid.uuid4().hex[:6]
    template = new_template(stack, tag)
    admin = stack.auth("admin")
    before = workflow_ids(stack)
    made = None
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/workflows", "#workflows-title")
        # When the admin makes it from its template after 30 quiet days instead of 60
        page.select_option("#workflow-template", "win-back")
        page.select_option("#workflow-email-template", template["id"])
        page.fill("#workflow-param-days", "30")
        page.click(".workflow-new button[type=submit]")
        page.wait_for_selector(".workflow-new [role=status]:has-text('was created')", timeout=15_000)
        [made] = workflow_ids(stack) - before
        stored = requests.get(f"{stack.http_url}/v1/workflows/{made}", headers=admin, timeout=10).json()
        assert stored["steps"][0]["duration"]["days"] == 30
        # When the admin edits it: 45 days of waiting, and the branch's test of quiet days the same
        row = page.locator(f"tr[data-workflow-id='{made}']")
        row.wait_for(timeout=15_000)
        row.locator("button.edit").click()
        page.fill("#step-0-duration-days", "45")
        page.locator(".workflow-step[data-step-type=branch] input.condition-value").fill("45")
        page.click(".workflow-editor button[type=submit]")
        page.wait_for_selector(".workflows-status:has-text('was saved')", timeout=15_000)
        # Then the API has both, and the rest of the template's workflow as it was
        stored = requests.get(f"{stack.http_url}/v1/workflows/{made}", headers=admin, timeout=10).json()
        assert stored["steps"][0]["duration"]["days"] == 45
        assert stored["steps"][1]["conditions"][0]["value"] == 45 and stored["steps"][1]["else"] == "end"
        assert stored["steps"][2]["template_id"] == template["id"] and stored["status"] == "paused"
    finally:
        page.close()
        if made:
            requests.delete(f"{stack.http_url}/v1/workflows/{made}", headers=admin, timeout=10)


@needs_chromium
def test_a_report_shared_with_a_role_is_seen_by_that_role_edited_and_downloaded(stack: RunningStack,
                                                                                browser: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"Leads by stage {tag}"
    new_contact(stack, "Parisa", tag)
    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/reports", "#reports-title")
        # When the admin saves a report of contacts by stage, shared with sales
        page.fill("#report-name", name)
        page.fill("#report-group-by", "lifecycle_stage")
        page.check(".report-new .report-shared input[value=sales]")
        page.click(".report-new button[type=submit]")
        row = page.locator("tr[data-report-id]", has_text=name)
        row.wait_for(timeout=15_000)
        report_id = row.get_attribute("data-report-id")
        assert row.locator(".shared-with").inner_text() == "Sales"

        # Then sales sees it and may run it, and support, with whom it is not shared, does not see it
        def listed(role: str) -> list[str]:
            answer = requests.get(f"{stack.http_url}/v1/reports", headers=stack.auth(role), timeout=10)
            assert answer.status_code == 200, answer.text
            return [report["id"] for report in answer.json()["items"]]

        assert report_id in listed("sales") and report_id not in listed("support")
        ran = requests.post(f"{stack.http_url}/v1/reports/{report_id}/run", headers=stack.auth("sales"), timeout=20)
        assert ran.status_code == 200 and ran.json()["columns"] == ["lifecycle_stage", "count"]
        # When the admin edits it: a new name, and shared with support as well
        row.locator("button.edit").click()
        page.fill("#report-edit-name", f"{name} (all)")
        page.check(".report-edit .report-shared input[value=support]")
        page.click(".report-edit button[type=submit]")
        page.locator(f"tr[data-report-id='{report_id}']", has_text=f"{name} (all)").wait_for(timeout=15_000)
        # Then the API keeps both, and support sees it now
        stored = requests.get(f"{stack.http_url}/v1/reports/{report_id}", headers=stack.auth("admin"),
                              timeout=10).json()
        assert stored["name"] == f"{name} (all)" and stored["shared_with"] == ["sales", "support"]
        assert report_id in listed("support")
        # When the admin runs it and downloads it as CSV
        page.locator(f"tr[data-report-id='{report_id}'] button.run").click()
        page.locator(".report-table tbody tr").first.wait_for(timeout=15_000)
        with page.expect_download(timeout=15_000) as downloading:
            page.click(".report-downloads button.download-csv")
        download = downloading.value
        # Then the file is the report's table, under the API's name for it
        assert download.suggested_filename.endswith(".csv")
        text = open(download.path(), encoding="utf-8-sig").read()
        assert text.splitlines()[0].split(",")[:2] == ["lifecycle_stage", "count"]
        # And as XLSX, a spreadsheet
        with page.expect_download(timeout=15_000) as downloading:
            page.click(".report-downloads button.download-xlsx")
        assert downloading.value.suggested_filename.endswith(".xlsx")
        assert open(downloading.value.path(), "rb").read(2) == b"PK"
    finally:
        page.close()


@needs_chromium
def test_an_admin_reorders_and_removes_stages_and_a_pipeline_with_deals_is_refused_until_it_has_none(
        stack: RunningStack, browser: Any) -> None:
    # Given a pipeline of three stages with a deal in the second
    admin, tag = stack.auth("admin"), uuid.uuid4().hex[:6]
    name = f"Partners {tag}"
    made = requests.post(f"{stack.http_url}/v1/pipelines", headers=admin, timeout=10, json={"name": name, "stages": [
        {"id": "intro", "name": "Intro", "probability": 10},
        {"id": "pilot", "name": "Pilot", "probability": 40},
        {"id": "contract", "name": "Contract", "probability": 80}]})
    assert made.status_code == 201, made.text
    pipeline_id = made.json()["id"]
    deal = requests.post(f"{stack.http_url}/v1/deals", headers=admin, timeout=10, json={
        "name": f"Pilot deal {tag}", "pipeline_id": pipeline_id, "stage": "pilot"})
    assert deal.status_code == 201, deal.text
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/pipelines", "#pipelines-title")
        card = page.locator(f"article.pipeline-card[data-pipeline-id='{pipeline_id}']")
        card.wait_for(timeout=15_000)
        # When the admin removes the stage the deal is in and saves
        card.locator("tr[data-stage-id=pilot] button.remove").click()
        card.locator("form:not(.stage-new) button[type=submit]").click()
        # Then the API refuses, the page says why, and the stage is back
        card.locator("[role=alert]", has_text="still has deals").wait_for(timeout=15_000)
        assert card.locator("tr[data-stage-id=pilot]").count() == 1
        # When the admin moves Contract above Pilot, removes Intro, and saves
        card.locator("tr[data-stage-id=contract] button.up").click()
        card.locator("tr[data-stage-id=intro] button.remove").click()
        card.locator("tr[data-stage-id=intro]").wait_for(state="detached", timeout=15_000)
        card.locator("form:not(.stage-new) button[type=submit]").click()
        page.wait_for_selector(f".pipelines-status:has-text('{name} was saved')", timeout=15_000)
        # Then the API has the two stages left, in their new order
        stored = requests.get(f"{stack.http_url}/v1/pipelines/{pipeline_id}", headers=admin, timeout=10).json()
        assert [stage["id"] for stage in stored["stages"]] == ["contract", "pilot"]
        # When the admin deletes the pipeline while the deal is in it (its card as saved, at version 2)
        card = page.locator(f"article.pipeline-card[data-pipeline-id='{pipeline_id}'][data-version='2']")
        card.wait_for(timeout=15_000)
        card.locator("button.delete-pipeline").click()
        # Then the API's refusal is shown, and the pipeline stays
        card.locator("[role=alert]", has_text="still has deals").wait_for(timeout=15_000)
        assert requests.get(f"{stack.http_url}/v1/pipelines/{pipeline_id}", headers=admin,
                            timeout=10).status_code == 200
        # When the deal is gone and the admin deletes it again, then the pipeline is gone
        gone = requests.delete(f"{stack.http_url}/v1/deals/{deal.json()['id']}", headers=admin, timeout=10)
        assert gone.status_code == 204, gone.text
        card.locator("button.delete-pipeline").click()
        page.wait_for_selector(f".pipelines-status:has-text('{name} was deleted')", timeout=15_000)
        page.locator(f"article.pipeline-card[data-pipeline-id='{pipeline_id}']").wait_for(state="detached",
                                                                                        timeout=15_000)
        assert requests.get(f"{stack.http_url}/v1/pipelines/{pipeline_id}", headers=admin,
                            timeout=10).status_code == 404
    finally:
        page.close()


@needs_chromium
def test_marketing_writes_an_email_template_edits_it_previews_its_html_and_deletes_it(stack: RunningStack,
                                                                                       browser: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    name = f"Renewal {tag}"
    contact = new_contact(stack, "Kaveh", tag)
    marketing = stack.auth("marketing")
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "marketing")
        open_setting(page, "#/email-templates", "#email-templates-title")
        # When marketing writes a template with a text and an HTML body
        page.fill("#template-name", name)
        page.fill("#template-subject", "Time to renew, {{ contact.first_name }}")
        page.fill("#template-text", "Hello {{ contact.first_name }}, your plan ends soon.")
        page.fill("#template-html", "<p>Hello <b>{{ contact.first_name }}</b>, your plan ends soon.</p>"
                                    "<script>document.title='ran'</script>")
        page.click(".template-new button[type=submit]")
        page.wait_for_selector(f".templates-status:has-text('{name} was created')", timeout=15_000)
        # Then it is listed, and the API keeps both bodies
        row = page.locator("tr[data-template-id]", has_text=name)
        row.wait_for(timeout=15_000)
        template_id = row.get_attribute("data-template-id")
        stored = requests.get(f"{stack.http_url}/v1/email-templates/{template_id}", headers=marketing,
                              timeout=10).json()
        assert stored["topic"] == "transactional" and "<b>" in stored["variants"]["en"]["html"]
        # When its subject is edited and saved
        editor = page.locator(".template-editor")
        editor.wait_for(timeout=15_000)
        editor.locator(".variant-subject").fill("Your plan ends soon, {{ contact.first_name }}")
        editor.locator("button[type=submit]").click()
        page.wait_for_selector(f".templates-status:has-text('{name} was saved')", timeout=15_000)
        stored = requests.get(f"{stack.http_url}/v1/email-templates/{template_id}", headers=marketing,
                              timeout=10).json()
        assert stored["variants"]["en"]["subject"] == "Your plan ends soon, {{ contact.first_name }}"
        assert stored["version"] == 2
        # And it is previewed for a contact
        page.fill("#preview-contact", contact["id"])
        page.click(".template-preview button[type=submit]")
        page.wait_for_selector(".preview-subject", timeout=15_000)
        assert page.inner_text(".preview-subject") == "Your plan ends soon, Kaveh"
        # Then its HTML is shown in a sandboxed frame, filled in, and the script in it does not run
        frame = page.locator("iframe.preview-html")
        assert frame.get_attribute("sandbox") == ""
        assert "Hello Kaveh" in page.frame_locator("iframe.preview-html").locator("body").inner_text(timeout=15_000)
        assert page.frame_locator("iframe.preview-html").locator("b").inner_text() == "Kaveh"
        assert page.title() != "ran"
        # When it is deleted, then it is gone from the page and the API
        page.locator(f"tr[data-template-id='{template_id}'] button.delete").click()
        page.locator(f"tr[data-template-id='{template_id}']").wait_for(state="detached", timeout=15_000)
        assert requests.get(f"{stack.http_url}/v1/email-templates/{template_id}", headers=marketing,
                            timeout=10).status_code == 404
    finally:
        page.close()


@needs_chromium
def test_an_admin_sets_a_rules_sla_and_clears_it(stack: RunningStack, browser: Any) -> None:
    # Given a rule for a source no lead comes from, without an SLA
    admin, tag = stack.auth("admin"), uuid.uuid4().hex[:6]
    users = requests.get(f"{stack.http_url}/v1/users", headers=admin, timeout=10).json()["users"]
    made = requests.post(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10, json={
        "name": f"Slow leads {tag}", "strategy": "round_robin", "conditions": {"sources": [f"nowhere-{tag}"]},
        "members": [{"user_id": users[0]["id"]}]})
    assert made.status_code == 201, made.text
    rule = made.json()

    def stored() -> dict[str, Any]:
        answer = requests.get(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10)
        return dict(next(item for item in answer.json()["items"] if item["id"] == rule["id"]))

    page = browser.new_page()
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/assignment", "#assignment-title")
        row = page.locator(f"tr[data-rule-id='{rule['id']}']")
        row.wait_for(timeout=15_000)
        # When the admin gives it an SLA: 30 minutes, then the lead goes to another member
        row.locator("button.edit").click()
        page.fill("#rule-sla-minutes", "30")
        page.select_option("#rule-sla-action", "reassign")
        page.click(".rule-form button[type=submit]")
        # Then the list shows it and the API keeps it, the rest of the rule as it was
        page.locator(f"tr[data-rule-id='{rule['id']}'] .sla", has_text="30").wait_for(timeout=15_000)
        kept = stored()
        assert (kept["sla_minutes"], kept["sla_action"]) == (30, "reassign")
        assert kept["conditions"]["sources"] == [f"nowhere-{tag}"] and kept["strategy"] == "round_robin"
        # When the admin clears the minutes, then the rule has no SLA
        page.locator(f"tr[data-rule-id='{rule['id']}'] button.edit").click()
        page.fill("#rule-sla-minutes", "")
        page.click(".rule-form button[type=submit]")
        page.locator(f"tr[data-rule-id='{rule['id']}'] .sla", has_text="None").wait_for(timeout=15_000)
        kept = stored()
        assert (kept["sla_minutes"], kept["sla_action"]) == (None, None)
    finally:
        page.close()
        requests.delete(f"{stack.http_url}/v1/assignment-rules/{rule['id']}", headers=admin, timeout=10)


@needs_chromium
def test_an_admin_deletes_a_custom_field_and_it_is_gone(stack: RunningStack, browser: Any) -> None:
    # Given a custom field of deals
    admin, key = stack.auth("admin"), f"region_{uuid.uuid4().hex[:6]}"
    made = requests.post(f"{stack.http_url}/v1/custom-fields", headers=admin, timeout=10, json={
        "entity": "deal", "key": key, "label": "Sales region", "type": "text"})
    assert made.status_code == 201, made.text
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, stack, "admin")
        open_setting(page, "#/custom-fields", "#custom-fields-title")
        page.select_option("#custom-fields-entity", "deal")
        row = page.locator(f"tr[data-field-key='{key}']")
        row.wait_for(timeout=15_000)
        # When the admin deletes it
        row.locator("button.delete").click()
        # Then it is gone from the page and from the API's fields of deals
        row.wait_for(state="detached", timeout=15_000)
        fields = requests.get(f"{stack.http_url}/v1/custom-fields", params={"entity": "deal"}, headers=admin,
                              timeout=10).json()["items"]
        assert key not in [field["key"] for field in fields]
    finally:
        page.close()

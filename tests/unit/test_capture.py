"""Lead capture logic with a fake store: spam, validation, tracking, outcomes."""

from __future__ import annotations

import pytest
from crm.forms.capture import (
    Lead,
    RateLimited,
    Submission,
    handle_form_submission,
    judge_spam,
    source_touch,
    validate_lead,
)
from crm.forms.config import FormConfig, demo_form
from crm.forms.request import FormRequest, UploadedFile
from crm.platform.errors import HttpError

NOW_MS = 1_795_521_600_000


def form_request(fields: dict[str, str], files: tuple[UploadedFile, ...] = ()) -> FormRequest:
    return FormRequest(form_id="contact-us", content_type="application/json", raw_body=b"{}", fields=fields,
                       files=files, source_ip="203.0.113.7", user_agent="test-browser", origin=None,
                       referer="https://ref.example/", wants_json=True)


class FakeStore:
    """Remembers what it was asked to save; can be told to refuse with a rate limit."""

    def __init__(self, rate_limited: bool = False) -> None:
        self.rate_limited = rate_limited
        self.spam: list[Submission] = []
        self.leads: list[tuple[Submission, Lead]] = []
        self.files: list[str] = []

    def store_file(self, form_id: str, upload: UploadedFile, sha256: str) -> str:
        self.files.append(sha256)
        return f"forms/{form_id}/{sha256}"

    def save_spam(self, submission: Submission, rate_limit_per_minute: int) -> None:
        if self.rate_limited:
            raise RateLimited
        self.spam.append(submission)

    def save_lead(self, submission: Submission, lead: Lead, rate_limit_per_minute: int) -> tuple[str, bool]:
        if self.rate_limited:
            raise RateLimited
        self.leads.append((submission, lead))
        return "contact-1", True


FORM = demo_form()


def test_a_filled_honeypot_is_spam():
    assert judge_spam(FORM, {"email": "a@b.com", "website": "http://spam"}, NOW_MS) == ["honeypot_filled"]


@pytest.mark.parametrize(("rendered", "reason"), [
    (str(NOW_MS - 500), "submitted_too_fast"),
    (str(NOW_MS + 60_000), "submitted_too_fast"),
    ("yesterday", "render_time_invalid"),
    ("²", "render_time_invalid"),
    ("0", "render_time_stale"),
])
def test_an_implausible_render_time_is_spam(rendered, reason):
    assert judge_spam(FORM, {"_ts": rendered}, NOW_MS) == [reason]


def test_a_human_paced_submission_is_not_spam():
    assert judge_spam(FORM, {"_ts": str(NOW_MS - 15_000), "website": ""}, NOW_MS) == []


def test_a_valid_lead_is_normalized():
    lead = validate_lead(FORM, form_request({"email": " Eleni@Example.GR ", "first_name": "Ελένη",
                                             "phone": "+30 691 234 5678", "message": "Hi"}))
    assert (lead.email, lead.email_key, lead.phone) == ("Eleni@example.gr", "eleni@example.gr", "+306912345678")
    assert lead.properties == {"first_name": "Ελένη"}
    assert lead.search_name == "ελενη"


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(HttpError) as error:
        validate_lead(FORM, form_request({"email": "nope", "phone": "12", "first_name": "x" * 1001}))
    assert error.value.status == 422
    assert set(error.value.fields) == {"email", "phone", "first_name"}


def test_a_required_field_left_empty_is_reported():
    with pytest.raises(HttpError) as error:
        validate_lead(FORM, form_request({"email": "   ", "first_name": "Ali"}))
    assert error.value.fields == {"email": "This field is required."}


def test_custom_fields_are_filled_from_their_mapping():
    form = FormConfig.from_dict({**FORM.to_dict(), "fields": [
        {"name": "email", "maps_to": "email", "required": True},
        {"name": "budget", "maps_to": "custom:budget"}]})
    lead = validate_lead(form, form_request({"email": "a@example.com", "budget": "5000"}))
    assert lead.custom_fields == {"budget": "5000"}


def test_source_tracking_reads_utm_fields_then_the_landing_page():
    touch = source_touch(FORM, form_request({"utm_source": "google",
                                             "_page": "https://site.example/?utm_campaign=autumn&utm_source=x"}), "t")
    assert touch["utm_source"] == "google"
    assert touch["utm_campaign"] == "autumn"
    assert touch["landing_page"].startswith("https://site.example/")
    assert touch["referrer"] == "https://ref.example/"
    assert (touch["form_id"], touch["ip"], touch["user_agent"]) == ("contact-us", "203.0.113.7", "test-browser")


def test_spam_is_kept_and_creates_no_contact():
    store = FakeStore()
    outcome = handle_form_submission(FORM, form_request({"email": "a@b.com", "website": "x"}), store, NOW_MS, "t")
    assert outcome.spam and outcome.contact_id is None
    assert len(store.spam) == 1 and store.leads == []
    assert store.spam[0].spam_reasons == ("honeypot_filled",)


def test_a_rate_limited_sender_gets_429():
    with pytest.raises(HttpError) as error:
        handle_form_submission(FORM, form_request({"email": "a@b.com"}), FakeStore(rate_limited=True), NOW_MS, "t")
    assert error.value.status == 429
    assert error.value.headers["retry-after"] == "60"


def test_files_are_checked_before_any_is_stored():
    form = FormConfig.from_dict({**FORM.to_dict(), "fields": [
        {"name": "email", "maps_to": "email"}, {"name": "cv", "type": "file"}]})
    store = FakeStore()
    good = UploadedFile("cv", "cv.pdf", "application/pdf", b"%PDF-1.4")
    bad = UploadedFile("cv", "run.exe", "application/x-msdownload", b"MZ")
    with pytest.raises(HttpError) as error:
        handle_form_submission(form, form_request({"email": "a@b.com"}, (good, bad)), store, NOW_MS, "t")
    assert error.value.status == 422
    assert store.files == [] and store.leads == []


def test_an_oversized_file_is_413():
    form = FormConfig.from_dict({**FORM.to_dict(), "files": {"max_bytes": 4}, "fields": [
        {"name": "email", "maps_to": "email"}, {"name": "cv", "type": "file"}]})
    upload = UploadedFile("cv", "cv.pdf", "application/pdf", b"%PDF-1.4")
    with pytest.raises(HttpError) as error:
        handle_form_submission(form, form_request({"email": "a@b.com"}, (upload,)), FakeStore(), NOW_MS, "t")
    assert error.value.status == 413

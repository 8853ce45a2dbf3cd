"""Reading the three content types, and hostile bodies that must end in a clear 4xx."""

from __future__ import annotations

import base64
import json

import pytest
from crm.forms.request import parse_form_request
from crm.platform.errors import HttpError
from crm.platform.http_event import HttpEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def http_event(body: bytes | str, content_type: str, b64: bool = False, accept: str = "") -> HttpEvent:
    raw = base64.b64encode(body).decode() if b64 else body
    return HttpEvent.from_event({"routeKey": "POST /forms/{form_id}/submissions",
                                 "pathParameters": {"form_id": "contact-us"},
                                 "headers": {"Content-Type": content_type, "Accept": accept},
                                 "body": raw, "isBase64Encoded": b64,
                                 "requestContext": {"http": {"sourceIp": "198.51.100.1", "userAgent": "t"}}})


def test_urlencoded_fields_are_read_and_the_first_repeat_wins():
    request = parse_form_request(http_event("email=a%40b.com&first_name=%D0%98&email=c%40d.com",
                                            "application/x-www-form-urlencoded"), 1000)
    assert request.fields == {"email": "a@b.com", "first_name": "И"}
    assert not request.wants_json


def test_json_numbers_are_read_as_text_and_nulls_skipped():
    request = parse_form_request(http_event(json.dumps({"email": "a@b.com", "budget": 5000, "x": None}),
                                            "application/json; charset=utf-8"), 1000)
    assert request.fields == {"email": "a@b.com", "budget": "5000"}
    assert request.wants_json


def test_fields_without_a_usable_name_stay_only_in_the_raw_body():
    request = parse_form_request(http_event(json.dumps({"": "x", "n" * 101: "y", "email": "a@b.com"}),
                                            "application/json"), 1000)
    assert request.fields == {"email": "a@b.com"}
    assert b'"": "x"' in request.raw_body


def test_multipart_fields_and_files_are_separated():
    body = (b"--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.com\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n%PDF\x00\xff\r\n--b--\r\n")
    request = parse_form_request(http_event(body, "multipart/form-data; boundary=b", b64=True), 1000)
    assert request.fields == {"email": "a@b.com"}
    assert [(f.field_name, f.filename, f.content) for f in request.files] == [("cv", "cv.pdf", b"%PDF\x00\xff")]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ("{}", "text/plain", 415, "unsupported_media_type"),
    ("{}", "", 415, "unsupported_media_type"),
    ("[1,2]", "application/json", 400, "invalid_json"),
    ("{not json", "application/json", 400, "invalid_json"),
    ('{"email": {"$gt": ""}}', "application/json", 422, "invalid_fields"),
    ('{"email": true}', "application/json", 422, "invalid_fields"),
    ("x" * 2000, "application/json", 413, "body_too_large"),
    ("a=1", "multipart/form-data", 400, "invalid_multipart"),
    ("garbage", "multipart/form-data; boundary=zz", 400, "invalid_multipart"),
    (json.dumps({f"f{i}": "v" for i in range(101)}), "application/json", 400, "too_many_fields"),
])
def test_hostile_bodies_get_a_clear_client_error(body, content_type, status, code):
    with pytest.raises(HttpError) as error:
        parse_form_request(http_event(body, content_type), 1500)
    assert (error.value.status, error.value.code) == (status, code)


def test_invalid_utf8_is_refused():
    with pytest.raises(HttpError) as error:
        parse_form_request(http_event(b"email=\xff\xfe", "application/x-www-form-urlencoded", b64=True), 1000)
    assert error.value.code == "invalid_encoding"


def test_invalid_base64_is_refused():
    with pytest.raises(HttpError) as error:
        HttpEvent.from_event({"body": "not base64!!", "isBase64Encoded": True})
    assert error.value.status == 400


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=3000),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=b", "multipart/form-data",
                                     "text/html", "application/json; charset=latin-1"]))
def test_any_body_is_read_or_refused_with_a_client_error(body, content_type):
    # Given bytes from a stranger / When read / Then fields come back, or a 4xx, never another exception
    try:
        request = parse_form_request(http_event(body, content_type, b64=True), 2000)
    except HttpError as error:
        assert 400 <= error.status < 500
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in request.fields.items())

"""One spec per entity: a field declared once on a record's stored item reaches storage, the API's input and
output, its OpenAPI document, validation and the audit log, with no other edit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = "    source = Text()\n"
ADDED = "    preferred_language = Text(35)\n"

# A fresh interpreter, as a cold Lambda container, serving the API from the copy with the added field.
SERVE_THE_COPY = r"""
import json
from moto import mock_aws

import tests.conftest  # the functions' environment
from tests.support.api_client import ApiClient

with mock_aws():
    import boto3
    from crm.platform.config import get_settings
    from crm.records.table import bind_table
    from crm_local.template import create_table_kwargs

    settings = get_settings()
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(**create_table_kwargs(settings.table_name))
    boto3.client("events").create_event_bus(Name=settings.event_bus_name)
    bind_table(settings)
    sales, admin = ApiClient("sales", "sales-1"), ApiClient("admin")
    created = sales.post("/v1/contacts", {"first_name": "Laleh", "preferred_language": "  fa-IR "})
    contact_id = created.body["id"]
    stored = dynamodb.get_item(TableName=settings.table_name,
                               Key={"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}})["Item"]
    read = sales.get(f"/v1/contacts/{contact_id}").body.get("preferred_language")
    too_long = sales.post("/v1/contacts", {"first_name": "Kian", "preferred_language": "x" * 36})
    cleared = sales.patch(f"/v1/contacts/{contact_id}", {"preferred_language": None}, version=1)
    audit = admin.get("/v1/audit", entity=f"contact:{contact_id}")
    document = ApiClient(authenticated=False).get("/v1/openapi.json").body["components"]["schemas"]
    print(json.dumps({
        "created": [created.status, created.body.get("preferred_language")],
        "read": read,
        "stored": stored.get("preferred_language"),
        "too_long": [too_long.status, too_long.body],
        "cleared": [cleared.status, cleared.body.get("preferred_language", "absent")],
        "audit": [entry["changes"].get("preferred_language") for entry in audit.body["items"]],
        "input": document["ContactFields"]["properties"].get("preferred_language"),
        "output": document["Contact"]["properties"].get("preferred_language"),
        "required": "preferred_language" in document["Contact"].get("required", []),
    }))
"""


def test_a_field_added_to_the_contacts_spec_in_one_line_reaches_storage_the_api_its_document_and_validation(
        tmp_path):
    # Given a copy of the product code whose contacts spec declares one more field, and nothing else changed
    shared = tmp_path / "shared"
    shutil.copytree(ROOT / "shared", shared, ignore=shutil.ignore_patterns("__pycache__"))
    spec = shared / "crm" / "contacts" / "spec.py"
    text = spec.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1
    spec.write_text(text.replace(ANCHOR, ANCHOR + ADDED), encoding="utf-8")

    # When the API serves from that copy
    path = os.pathsep.join([str(shared), str(ROOT / "functions" / "api"), str(ROOT / "infra"), str(ROOT)])
    result = subprocess.run([sys.executable, "-c", SERVE_THE_COPY], cwd=ROOT, capture_output=True, text=True,
                            env=os.environ | {"PYTHONPATH": path}, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.splitlines()[-1])

    # Then a create takes it (cleaned like any text), it is stored on the item and shown on reads
    assert seen["created"] == [201, "fa-IR"]
    assert seen["read"] == "fa-IR"
    assert seen["stored"] == {"S": "fa-IR"}
    # And validation holds its limit with the API's one error shape, and null clears it
    assert seen["too_long"][0] == 422
    assert seen["too_long"][1]["error"]["code"] == "invalid_fields"
    assert set(seen["too_long"][1]["error"]["fields"]) == {"preferred_language"}
    assert seen["cleared"] == [200, None]
    # And the audit log shows it changing, field by field
    assert {"before": "fa-IR", "after": None} in seen["audit"]
    assert {"before": None, "after": "fa-IR"} in seen["audit"]
    # And the OpenAPI document describes it in the input (with its limit) and the output
    assert {"type": "string", "maxLength": 35} in seen["input"]["anyOf"]
    assert seen["output"] is not None and seen["required"]


def test_the_unchanged_spec_does_not_know_the_field():
    # Given the product as it is, without the added line
    from crm.contacts.spec import CONTACT

    # Then the field the other test adds is nowhere: it is that one line that brings it
    assert "preferred_language" not in CONTACT.fields
    assert "preferred_language" not in CONTACT.input_model.model_fields
    assert "preferred_language" not in CONTACT.output_model.model_fields

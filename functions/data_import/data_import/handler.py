"""Lambda entry for imports: SQS messages, one at a time. An upload's S3 notification reads the file into
chunks; a step's first message fans out one message per chunk; a chunk message checks, applies or reverts
its rows (crm.imports.jobs). A message that fails is retried by the queue and then dead-letters to
ImportDLQ; everything a chunk did before it failed is marked, so a retry repeats none of it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from crm.imports.jobs import fan_out, read_upload, run_chunk
from crm.platform.config import get_settings
from crm.platform.observability import logger
from crm.platform.startup import loaded
from crm.records.table import bind_table

bind_table(get_settings())


def handle_message(body: dict[str, Any]) -> None:
    for record in body.get("Records") or ():
        key = unquote_plus(record["s3"]["object"]["key"])
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "imports" and parts[2] == "upload":
            read_upload(parts[1])
    if "step_id" not in body:
        return
    if body.get("fan_out"):
        fan_out(str(body["import_id"]), str(body["step_id"]))
    else:
        run_chunk(str(body["import_id"]), str(body["step_id"]), int(body["chunk"]), int(body["of"]))


def handler(event: dict[str, Any], context: Any) -> None:
    for record in event.get("Records") or ():
        try:
            body = json.loads(record["body"])
        except (TypeError, ValueError):
            logger.warning("not an import message; dropped", extra={"message_id": record.get("messageId")})
            continue
        if isinstance(body, dict):
            handle_message(body)


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()

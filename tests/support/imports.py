"""An import driven as a client drives it, in process: start it, put the file where the presigned POST
would, let the import function take the bucket's notification and each step's messages from its queue."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.support.api_client import ApiClient
from tests.support.queues import drain


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def work() -> int:
    """Every message the import queue holds, including those its deliveries send."""
    from crm.platform.config import get_settings
    from data_import.handler import handler

    return drain(get_settings().import_queue_url, handler)


def upload(client: ApiClient, entity: str, data: bytes, file_name: str = "people.csv",
           sheet: str | None = None) -> dict[str, Any]:
    """A started import with its file read: the view a client sees next."""
    import boto3
    from crm.platform.config import get_settings

    started = client.post("/v1/imports", {"entity": entity, "file_name": file_name,
                                          **({"sheet": sheet} if sheet else {})})
    assert started.status == 201, started.body
    key = started.body["upload"]["fields"]["key"]
    settings = get_settings()
    boto3.client("s3").put_object(Bucket=settings.transfer_bucket, Key=key, Body=data)
    notification = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
                                 "s3": {"bucket": {"name": settings.transfer_bucket},
                                        "object": {"key": key, "size": len(data)}}}]}
    boto3.client("sqs").send_message(QueueUrl=settings.import_queue_url, MessageBody=json.dumps(notification))
    work()
    return client.get(f"/v1/imports/{started.body['id']}").body


def step(client: ApiClient, import_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = client.post(f"/v1/imports/{import_id}/{action}", body or {})
    assert answer.status == 202, answer.body
    work()
    return client.get(f"/v1/imports/{import_id}").body


def download(client: ApiClient, import_id: str, kind: str, step_name: str) -> list[list[str]]:
    """A step's results or errors CSV, read as a client reads the presigned link's file."""
    import boto3
    from crm.imports.jobs import file_key
    from crm.platform.config import get_settings

    link = client.get(f"/v1/imports/{import_id}/{kind}", step=step_name)
    assert link.status == 200, link.body
    body = boto3.client("s3").get_object(Bucket=get_settings().transfer_bucket,
                                         Key=file_key(import_id, step_name, kind))["Body"].read()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

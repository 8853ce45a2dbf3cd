"""Lambda entry of the export function (SQS, one message at a time): builds an export by paging through its
list with the API's own route as the person who asked, writes the rows as CSV or XLSX into /tmp, and
uploads the file to the transfer bucket.

The exporter's own refusal (their role may no longer read the list) ends the export failed, with the
reason. Any other failure raises: SQS delivers the message again, and after three tries dead-letters it to
ExportDLQ. A message delivered again after the export finished changes nothing.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crm.exports.lists import ListRequest, list_request
from crm.exports.names import relation_names
from crm.exports.sheets import XLSX_MAX_ROWS, Spool, write_csv, write_xlsx
from crm.exports.spec import FINISHED, ExportItem
from crm.exports.store import file_name, mark_done, mark_failed, mark_running
from crm.platform.access import Caller
from crm.platform.errors import HttpError
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import get_item

from api.pages import page_as


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> None:
    for record in event["Records"]:
        build(json.loads(record["body"])["export_id"])


def build(export_id: str) -> None:
    item = get_item(ExportItem, ExportItem.key(export_id), consistent=True)
    if item is None or item.status in FINISHED:
        logger.info("export already finished or gone", extra={"export_id": export_id})
        return
    mark_running(item)
    caller, request = Caller(item.user_id, frozenset(item.roles or ())), list_request(item.list_path)
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "rows.jsonl").open("w+", encoding="utf-8") as rows:
        spool = Spool(rows)
        try:
            for page in pages(caller, request):
                spool.add_all(page, relation_names(caller, page))
        except HttpError as refused:
            # Throttling and outages are not the exporter's: they go back to the queue.
            if refused.status in (429, 503):
                raise
            mark_failed(item, refused.message)
            return
        if item.format == "xlsx" and spool.rows > XLSX_MAX_ROWS:
            mark_failed(item, f"An XLSX sheet holds {XLSX_MAX_ROWS} rows and the list has {spool.rows}; "
                              "export it as CSV.")
            return
        path = Path(folder) / file_name(item, request)
        if item.format == "xlsx":
            write_xlsx(spool, path, request.resource)
        else:
            write_csv(spool, path)
        mark_done(item, spool.rows, path, path.name)


def pages(caller: Caller, request: ListRequest) -> Iterator[list[dict[str, Any]]]:
    cursor: str | None = None
    while True:
        page = page_as(caller, request, cursor)
        yield page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()

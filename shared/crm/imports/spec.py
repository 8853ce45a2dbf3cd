"""What an import keeps in the one table: the job (its file's layout, mapping, options, step and totals),
one marker per row it wrote (what it did, for at-most-once and for a revert), one marker per chunk a step
finished (so the totals count each chunk once), and saved mappings."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from crm.records.fields import Document, Integer, Listing, Text
from crm.records.table import ByCreatedIndex, CrmItem
from crm.records.views import RecordView

ENTITIES = ("contacts", "companies", "deals", "activities")
MODES = ("create", "create_or_update", "update")
STEPS = ("check", "run", "revert")
# Rows per chunk: a chunk is one message and one invocation, well inside the function's timeout when
# deployed (about 20 ms a row), and small enough that progress moves every few seconds.
CHUNK_ROWS = 500
COUNTERS = ("rows_done", "created", "updated", "unchanged", "skipped", "errors", "reverted", "kept")
# What a person sees while an import waits, works or ends.
WAITING, READING, READY, FAILED = "waiting_for_file", "reading", "ready", "failed"
WORKING = {"check": "checking", "run": "running", "revert": "reverting"}
FINISHED = {"check": "checked", "run": "completed", "revert": "reverted"}


def _shown(description: str = "", required: bool = False) -> Text:
    return Text(writable=False, required=required, null=not required, description=description)


class ImportItem(CrmItem):
    """The job: what the API shows of it is declared with crm.records.fields (IMPORT below); its counters
    and step bookkeeping are internal, shown through `progress`."""

    import_id = UnicodeAttribute()
    entity = _shown("contacts, companies, deals or activities.", required=True)
    status = _shown("waiting_for_file, reading, ready, failed, checking, checked, running, completed, reverting "
                    "or reverted.", required=True)
    file_name = _shown(required=True)
    sheet = _shown("The XLSX sheet asked for.")
    layout = Document(writable=False, description="What was detected: format, encoding, delimiter, sheets.")
    headers = Listing(writable=False)
    sample = Listing(writable=False, description="The first rows, as read.")
    suggested_mapping = Document(writable=False, description="Header -> field, from the headers and values.")
    mapping = Document(writable=False, description="Header -> field, as the dry run was asked.")
    options = Document(writable=False)
    step = _shown("check, run or revert: the last step started.")
    check_totals = Document(writable=False, description="The dry run's totals, kept when the import runs.")
    run_totals = Document(writable=False, description="The run's totals, kept when the import is reverted.")
    problem = _shown("Why the file could not be read.")
    created_by = _shown(required=True)
    created_at = _shown(required=True)
    updated_at = _shown(required=True)
    finished_at = _shown()
    version = Integer(writable=False)
    roles = ListAttribute(of=UnicodeAttribute)
    total_rows = NumberAttribute(default=0)
    chunks = NumberAttribute(default=0)
    step_id = UnicodeAttribute(null=True)
    step_started_at = UnicodeAttribute(null=True)
    chunks_done = NumberAttribute(default=0)
    rows_done = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    unchanged = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    errors = NumberAttribute(default=0)
    reverted = NumberAttribute(default=0)
    kept = NumberAttribute(default=0)
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ByCreatedIndex()

    @staticmethod
    def key(import_id: str) -> tuple[str, str]:
        return f"IMPORT#{import_id}", "IMPORT"

    @staticmethod
    def list_key(user_id: str) -> str:
        return f"IMPORTS#{user_id}"


IMPORT = RecordView("Import", ImportItem, "import_id", computed={"progress": dict[str, Any]},
                    page_title="ImportPage")
STARTED_IMPORT = RecordView("StartedImport", ImportItem, "import_id",
                            computed={"progress": dict[str, Any], "upload": dict[str, Any]})


class ImportRowItem(CrmItem):
    """A row the run wrote, written in the same transaction as the record: a second delivery of its chunk
    finds it and does not write the row again; a revert undoes what it says."""

    outcome = UnicodeAttribute()
    record_id = UnicodeAttribute()
    # The record's version right after this row's write: a revert leaves a record at any other version.
    record_version = NumberAttribute()
    # The fields the row changed, with their values before (as the audit entry has them).
    before: MapAttribute[str, Any] = MapAttribute(null=True)

    @staticmethod
    def key(import_id: str, chunk: int, row: int) -> tuple[str, str]:
        return f"IMPORT#{import_id}", f"ROW#{chunk:06d}#{row:09d}"

    @staticmethod
    def chunk_prefix(chunk: int) -> str:
        return f"ROW#{chunk:06d}#"


class ImportChunkItem(CrmItem):
    """A chunk a step finished, put with the job's totals in one transaction: each chunk counts once."""

    totals: MapAttribute[str, Any] = MapAttribute()

    @staticmethod
    def key(import_id: str, step_id: str, chunk: int) -> tuple[str, str]:
        return f"IMPORT#{import_id}", f"CHUNK#{step_id}#{chunk:06d}"


class SeenItem(CrmItem):
    """In a dry run, the first row of the file with an identity (an email, a phone, an external id, a
    domain): a later row with it is the same record, as it will be when the import runs."""

    row = NumberAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(import_id: str, step_id: str, identity: str) -> tuple[str, str]:
        return f"IMPORT#{import_id}", f"SEEN#{step_id}#{identity}"


class MappingItem(CrmItem):
    """A mapping saved by name for an entity, to reuse for the next file of the same shape."""

    name = UnicodeAttribute()
    entity = UnicodeAttribute()
    columns: MapAttribute[str, Any] = MapAttribute()
    saved_by = UnicodeAttribute()
    saved_at = UnicodeAttribute()

    @staticmethod
    def key(entity: str, name: str) -> tuple[str, str]:
        return f"IMPORT_MAPPINGS#{entity}", f"MAPPING#{name}"

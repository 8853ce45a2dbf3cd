"""Imports on the local stack over real HTTP, as a client makes them: the file sent over the presigned POST
(so the bucket's notification reaches the import function through its queue), the dry run, the run with
its progress, the error file through its presigned link, an export of what it created, and a revert; and
`crm import` itself on a Persian file in a Windows encoding."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

TIMEOUT = 10
POLL_SECONDS = 0.5
# Each step of a few rows takes seconds; the stack's other functions share the one embedded AWS with it.
STEP_TIMEOUT_SECONDS = 180


class Api:
    def __init__(self, stack: RunningStack, role: str = "sales") -> None:
        self.url, self.headers = f"{stack.http_url}/v1", stack.auth(role)

    def call(self, method: str, path: str, expected: int, body: dict[str, Any] | None = None,
             **params: str) -> dict[str, Any]:
        answer = requests.request(method, f"{self.url}{path}", json=body, params=params, headers=self.headers,
                                  timeout=TIMEOUT)
        assert answer.status_code == expected, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def wait(self, import_id: str, passing: tuple[str, ...]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The import once it leaves the `passing` statuses, and its progress as read meanwhile."""
        deadline, seen = time.monotonic() + STEP_TIMEOUT_SECONDS, []
        while time.monotonic() < deadline:
            job = self.call("GET", f"/imports/{import_id}", 200)
            if job["status"] not in passing:
                return job, seen
            seen.append(job["progress"])
            time.sleep(POLL_SECONDS)
        pytest.fail(f"import {import_id} still {job['status']} after {STEP_TIMEOUT_SECONDS} s: {job['progress']}")


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def download(url: str) -> list[list[str]]:
    """A file through its presigned link, as a browser fetches it: no token, only the signature."""
    answer = requests.get(url, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_an_upload_runs_through_dry_run_run_error_file_export_and_revert(stack: RunningStack) -> None:
    # Given a file of three new people and one row without a valid email
    api, domain = Api(stack), f"imp-{uuid.uuid4().hex[:8]}.example"
    rows = [["First name", "Last name", "Email", "Phone"], ["Sara", "Ahmadi", f"sara@{domain}", "+98 912 345 6789"],
            ["Ivan", "Petrov", f"ivan@{domain}", ""], ["李", "伟", f"li@{domain}", ""], ["Bad", "Row", "nope", ""]]

    # When a sales rep starts an import and sends the file over the presigned POST, fields first
    started = api.call("POST", "/imports", 201, {"entity": "contacts", "file_name": "people.csv"})
    upload = started["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("people.csv", csv_bytes(rows))},
                         timeout=TIMEOUT)

    # Then S3 takes it, and its notification has the import function read it
    assert sent.status_code in (200, 201, 204), sent.text
    job, _ = api.wait(started["id"], ("waiting_for_file", "reading"))
    assert job["status"] == "ready", job
    assert job["progress"]["total_rows"] == 4 and job["suggested_mapping"]["Email"] == "email"

    # When it is dry-run with the suggested mapping, then run
    api.call("POST", f"/imports/{job['id']}/check", 202, {"mode": "create_or_update"})
    checked, _ = api.wait(job["id"], ("checking",))
    assert checked["status"] == "checked", checked
    assert (checked["check_totals"]["created"], checked["check_totals"]["errors"]) == (3, 1)
    api.call("POST", f"/imports/{job['id']}/run", 202, {})
    done, running = api.wait(job["id"], ("running",))

    # Then it completes, its progress readable while it ran and at the end
    assert done["status"] == "completed", done
    assert all(0 <= p["rows_done"] <= p["total_rows"] == 4 for p in running)
    progress = done["progress"]
    assert (progress["rows_done"], progress["created"], progress["errors"]) == (4, 3, 1)
    assert progress["rate_per_second"] and progress["seconds_left"] == 0

    # And the error file, fetched through its presigned link, is the bad row as it was with its reason
    errors = download(api.call("GET", f"/imports/{job['id']}/errors", 200, step="run")["url"])
    assert errors[0] == [*rows[0], "error"]
    assert errors[1][:4] == rows[4] and "email" in errors[1][4] and len(errors) == 2
    results = download(api.call("GET", f"/imports/{job['id']}/results", 200, step="run")["url"])
    created = [row[2] for row in results[1:] if row[1] == "create"]
    assert len(created) == 3
    for contact_id in created:
        assert api.call("GET", f"/contacts/{contact_id}", 200)["email"].endswith(domain)

    # When the contacts are exported as CSV
    export = api.call("POST", "/exports", 202, {"list": "/v1/contacts", "format": "csv"})
    deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
    while export["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        export = api.call("GET", f"/exports/{export['id']}", 200)

    # Then the file has the imported people
    assert export["status"] == "done", export
    exported = download(export["download_url"])
    email_column = exported[0].index("email")
    assert {f"sara@{domain}", f"ivan@{domain}", f"li@{domain}"} <= {row[email_column] for row in exported[1:]}

    # When the import is reverted
    api.call("POST", f"/imports/{job['id']}/revert", 202, {})
    reverted, _ = api.wait(job["id"], ("reverting",))

    # Then the contacts it created are gone, and it is not run again
    assert reverted["status"] == "reverted" and reverted["progress"]["reverted"] == 3, reverted
    for contact_id in created:
        api.call("GET", f"/contacts/{contact_id}", 404)
    api.call("POST", f"/imports/{job['id']}/run", 409, {})


@pytest.mark.parametrize("encoding", ["utf-16", "cp1256"])
def test_crm_import_takes_a_persian_file_in_a_windows_encoding(stack: RunningStack, tmp_path: Path,
                                                              encoding: str) -> None:
    # Given a Persian file as Excel saves it: UTF-16, or the Arabic Windows code page (which has no Persian
    # digits, and spells the Persian yeh and kaf with the Arabic letters it has)
    api, unique = Api(stack), uuid.uuid4()
    # Phones of their own too: contacts match on phones as well as on emails.
    domain = f"fa-{unique.hex[:8]}.example"
    sara, reza = f"{unique.int % 10**7:07d}", f"{unique.int // 10**7 % 10**7:07d}"
    persian_digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    people = [["نام", "نام خانوادگی", "ایمیل", "تلفن"],
              ["سارا", "احمدی", f"sara@{domain}", f"۰۹۱۲ {sara.translate(persian_digits)}"],
              ["رضا", "رضایی", f"reza@{domain}", f"0912 {reza}"], ["علی", "", "ایمیل ندارد", ""]]
    text = io.StringIO()
    csv.writer(text).writerows(people)
    as_saved = str.maketrans("یک۰۱۲۳۴۵۶۷۸۹", "يك0123456789") if encoding == "cp1256" else {}
    written = text.getvalue().translate(as_saved)
    path = tmp_path / "مشتریان.csv"
    path.write_bytes(written.encode(encoding))

    # When a developer runs `crm import` on it against the local stack, without a prompt
    result = subprocess.run([sys.executable, "-m", "crm_local.cli", "import", str(path), "--entity", "contacts",
                             "--region", "IR", "--yes"], env=stack.environment, capture_output=True, text=True,
                            timeout=STEP_TIMEOUT_SECONDS * 3, check=False)

    # Then it completes, said what it read and did, and left the failed row next to the file
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 rows, 4 columns" in result.stdout and "-> email" in result.stdout
    assert "Imported: 2 created" in result.stdout and "1 errors" in result.stdout
    errors = (tmp_path / "مشتریان.errors.csv").read_bytes().decode("utf-8-sig")
    assert "ایمیل ندارد".translate(as_saved) in errors
    # And the contacts read back through the API in Persian, phones in E.164
    import_id = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("Import "))
    rows = download(api.call("GET", f"/imports/{import_id}/results", 200, step="run")["url"])
    contacts = [api.call("GET", f"/contacts/{row[2]}", 200) for row in rows[1:] if row[1] == "create"]
    found = {contact["email"]: (contact["first_name"], contact["phone"]) for contact in contacts}
    assert found == {f"sara@{domain}": ("سارا", f"+98912{sara}"), f"reza@{domain}": ("رضا", f"+98912{reza}")}

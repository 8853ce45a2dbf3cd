"""`crm import FILE --entity contacts`: an import from the command line, through the same API and steps as
the console. The file goes straight to S3 over the presigned POST the API hands out; the import function
reads it; a dry run shows what each step would do; then, once confirmed, the run, with its progress on
stderr. Rows that failed come back next to the input as `<name>.errors.csv`, ready to fix and import.

The API is the running local stack's (a demo user's token), a deployed stack's (`--stack`, its `ApiUrl`
output) or any (`--api-url`); outside the local stack the token is `--token` or $CRM_TOKEN."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

EXIT_COMPLETED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
POLL_SECONDS = 0.5
REQUEST_TIMEOUT_SECONDS = 30
# The upload is one request of up to the API's max_bytes (hundreds of MB): give it time, not a short timeout.
UPLOAD_TIMEOUT_SECONDS = 900
# A step whose progress stands still this long is stuck at the server (a chunk in the dead-letter queue,
# say): stop waiting and say so, rather than hang.
STALLED_SECONDS = 600
ENTITIES = ("contacts", "companies", "deals", "activities")
MATCH_KEYS = ("email", "phone", "external_id", "domain")
# Statuses a step passes through, and the one it ends in.
READING = ("waiting_for_file", "reading")
WORKING = {"check": "checking", "run": "running"}
FINISHED = {"check": "checked", "run": "completed"}
TOTALS = ("created", "updated", "unchanged", "skipped", "errors")


class ImportStopped(Exception):
    """The import cannot go on: the message for the person, and the command's exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Api:
    base_url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session, compare=False)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base_url.rstrip('/')}{path}", json=body, params=params,
                                        headers={"Authorization": f"Bearer {self.token}"},
                                        timeout=REQUEST_TIMEOUT_SECONDS)
        if not response.ok:
            # The API refuses what was asked with 422: the arguments were wrong, not the import.
            raise ImportStopped(f"{method} {path}: {refusal(response)}",
                                EXIT_USAGE if response.status_code == 422 else EXIT_FAILED)
        return response.json()


def refusal(response: requests.Response) -> str:
    """The API's error (code, message and the fields it names), or the bare status when it sent none."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict) or not error:
        return f"HTTP {response.status_code}"
    fields = "".join(f"\n  {name}: {problem}" for name, problem in (error.get("fields") or {}).items())
    return f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}{fields}"


# --- where the API is -----------------------------------------------------------------------------------------


def locate_api(args: argparse.Namespace) -> Api:
    """--api-url, else the deployed --stack's ApiUrl, else the running local stack."""
    if args.api_url or args.stack:
        token = args.token or os.environ.get("CRM_TOKEN")
        if not token:
            raise ImportStopped("a deployed API needs --token or $CRM_TOKEN", EXIT_USAGE)
        return Api(args.api_url or deployed_api_url(args.stack, args.aws_region), token)
    return local_api(args.role, args.token)


def deployed_api_url(stack_name: str, region: str | None) -> str:
    import boto3  # noqa: PLC0415 - only a deployed stack needs it here
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only a deployed stack needs it

    try:
        stacks = boto3.session.Session(region_name=region).client("cloudformation").describe_stacks(
            StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise ImportStopped(f"cannot read stack {stack_name}: {error}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs") or ()}
    if "ApiUrl" not in outputs:
        raise ImportStopped(f"stack {stack_name} has no ApiUrl output")
    return outputs["ApiUrl"]


def local_api(role: str, token: str | None) -> Api:
    """The running local stack's gateway, with the token given or a fresh one of its demo user for `role`."""
    from crm_local.clients import local_client  # noqa: PLC0415 - boto3 only for the local stack
    from crm_local.stack import StackError, StackSettings, read_state  # noqa: PLC0415 - only for the local stack

    try:
        state = read_state(StackSettings.from_environ())
    except StackError as error:
        raise ImportStopped(f"{error}; or name a deployed one with --stack or --api-url") from None
    if token:
        return Api(state["http_url"], token)
    user = next((u for u in state["demo_users"] if u["role"] == role), None)
    if user is None:
        roles = ", ".join(u["role"] for u in state["demo_users"])
        raise ImportStopped(f"no demo user for role {role!r}; roles: {roles}", EXIT_USAGE)
    answer = local_client("cognito-idp", state["aws_endpoint"]).initiate_auth(
        ClientId=state["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]})
    return Api(state["http_url"], answer["AuthenticationResult"]["AccessToken"])


# --- the import -------------------------------------------------------------------------------------------------


@dataclass
class Importer:
    api: Api
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    ask: Callable[[str], str] = input
    sleep: Callable[[float], None] = time.sleep

    def start(self, path: Path, entity: str, sheet: str | None) -> dict[str, Any]:
        """A new import with its file uploaded and read: the import as the API shows it then."""
        started = self.api.call("POST", "/v1/imports", {"entity": entity, "file_name": path.name,
                                                        **({"sheet": sheet} if sheet else {})})
        upload = started["upload"]
        if path.stat().st_size > int(upload["max_bytes"]):
            raise ImportStopped(f"{path} is {path.stat().st_size:,} bytes; an import takes at most "
                                f"{int(upload['max_bytes']):,}")
        with path.open("rb") as content:
            # requests sends `data` before `files`: S3 reads the policy fields before the file, as it requires.
            sent = requests.post(upload["url"], data=upload["fields"], files={"file": (path.name, content)},
                                 timeout=UPLOAD_TIMEOUT_SECONDS)
        if not sent.ok:
            raise ImportStopped(f"the upload was refused: HTTP {sent.status_code} {sent.text[:500]}")
        job = self.wait(started["id"], READING)
        if job["status"] != "ready":
            raise ImportStopped(f"the file cannot be imported: {job.get('problem') or job['status']}")
        return job

    def wait(self, import_id: str, passing: tuple[str, ...], show: bool = False) -> dict[str, Any]:
        """Polls until the import leaves the `passing` statuses; with `show`, the progress line on stderr."""
        last_change, last_done = time.monotonic(), -1
        while True:
            job = self.api.call("GET", f"/v1/imports/{import_id}")
            if job["status"] not in passing:
                if show:
                    self.err.write(progress_line(job["progress"]) + "\n")
                return job
            done = int(job["progress"]["rows_done"])
            if done != last_done:
                last_change, last_done = time.monotonic(), done
            elif time.monotonic() - last_change > STALLED_SECONDS:
                self.err.write("\n" if show else "")
                raise ImportStopped(f"import {import_id} has been {job['status']} at {done:,} rows for "
                                    f"{STALLED_SECONDS} s; `crm dlq list` shows what failed")
            if show:
                self.err.write("\r" + progress_line(job["progress"]))
                self.err.flush()
            self.sleep(POLL_SECONDS)

    def step(self, import_id: str, step: str, body: dict[str, Any], show: bool = False) -> dict[str, Any]:
        self.api.call("POST", f"/v1/imports/{import_id}/{step}", body)
        job = self.wait(import_id, (WORKING[step],), show)
        if job["status"] != FINISHED[step]:
            raise ImportStopped(f"the {step} step ended {job['status']}: {job.get('problem') or 'no reason given'}")
        return job

    def save_errors(self, job: dict[str, Any], step: str, path: Path) -> Path:
        """The step's failed rows as they were in the file plus their reason, next to the input."""
        link = self.api.call("GET", f"/v1/imports/{job['id']}/errors", step=step)
        answer = requests.get(link["url"], timeout=REQUEST_TIMEOUT_SECONDS)
        if not answer.ok:
            raise ImportStopped(f"the error file could not be downloaded: HTTP {answer.status_code}")
        target = path.with_name(f"{path.stem}.errors.csv")
        target.write_bytes(answer.content)
        return target

    def confirmed(self, job: dict[str, Any]) -> bool:
        totals = job["check_totals"] or {}
        writes = int(totals.get("created", 0)) + int(totals.get("updated", 0))
        try:
            answer = self.ask(f"Write {writes:,} {job['entity']} ({describe(totals)})? [y/N] ")
        except EOFError:
            answer = ""
        return answer.strip().lower() in ("y", "yes")

    def run(self, path: Path, args: argparse.Namespace) -> int:
        job = self.start(path, args.entity, args.sheet)
        print(describe_file(job), file=self.out)
        checked = self.step(job["id"], "check", check_request(args, job))
        print(describe_mapping(checked), file=self.out)
        print(f"Dry run: {describe(checked['check_totals'] or {})}", file=self.out)
        if args.dry_run:
            self.report_errors(checked, "check", checked["check_totals"] or {}, path)
            return EXIT_COMPLETED
        if not args.yes and not self.confirmed(checked):
            print(f"Nothing written; import {job['id']} stays checked.", file=self.out)
            return EXIT_FAILED
        done = self.step(job["id"], "run", {}, show=True)
        print(f"Imported: {describe(done['progress'])}", file=self.out)
        self.report_errors(done, "run", done["progress"], path)
        print(f"Import {job['id']} completed; `POST /v1/imports/{job['id']}/revert` undoes it.", file=self.out)
        return EXIT_COMPLETED

    def report_errors(self, job: dict[str, Any], step: str, totals: dict[str, Any], path: Path) -> None:
        if int(totals.get("errors", 0)):
            saved = self.save_errors(job, step, path)
            failed = int(totals["errors"])
            print(f"{failed:,} row{'s' * (failed != 1)} failed; they are in {saved} with the reason of each.",
                  file=self.out)


def check_request(args: argparse.Namespace, job: dict[str, Any]) -> dict[str, Any]:
    """The dry run's options: the suggested mapping with --map's changes, or the saved --mapping-name."""
    body: dict[str, Any] = {"mode": args.mode, "empty_cells": args.empty_cells}
    if args.match_on:
        body["match_on"] = args.match_on
    if args.region:
        body["default_region"] = args.region
    if args.mapping_name:
        body["mapping_name"] = args.mapping_name
    if args.map:
        body["mapping"] = {**job["suggested_mapping"], **dict(args.map)}
    return body


def describe_file(job: dict[str, Any]) -> str:
    layout = job.get("layout") or {}
    found = [layout.get("format"), layout.get("encoding") and f"encoding {layout['encoding']}",
             layout.get("delimiter") and f"delimiter {layout['delimiter']!r}", layout.get("sheet") and
             f"sheet {layout['sheet']!r}"]
    return (f"{job['file_name']}: {', '.join(part for part in found if part)}; "
            f"{int(job['progress']['total_rows']):,} rows, {len(job['headers'])} columns")


def describe_mapping(job: dict[str, Any]) -> str:
    """Each column of the file and the field it fills, as the dry run used them."""
    mapping = job.get("mapping") or {}
    width = max((len(header) for header in job["headers"]), default=0)
    lines = [f"  {header:<{width}}  -> {mapping.get(header) or '(not imported)'}" for header in job["headers"]]
    return "Columns:\n" + "\n".join(lines)


def describe(totals: dict[str, Any]) -> str:
    return ", ".join(f"{int(totals.get(name) or 0):,} {name}" for name in TOTALS)


def progress_line(progress: dict[str, Any], width: int = 30) -> str:
    """`[#####.....]  12,000/100,000 rows  12%  850 rows/s  1m 43s left`, on one line."""
    done, total = int(progress["rows_done"]), int(progress["total_rows"])
    share = done / total if total else 1.0
    filled = min(width, round(share * width))
    rate, left = progress.get("rate_per_second"), progress.get("seconds_left")
    parts = [f"[{'#' * filled}{'.' * (width - filled)}]", f"{done:,}/{total:,} rows", f"{share:.0%}"]
    if rate:
        parts.append(f"{rate:,.0f} rows/s")
    if left is not None and done < total:
        parts.append(f"{duration(float(left))} left")
    # Padded, so a shorter line overwrites the whole of the one before it.
    return "  ".join(parts).ljust(78)


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


# --- the command ------------------------------------------------------------------------------------------------


def match_keys(text: str) -> list[str]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = [key for key in keys if key not in MATCH_KEYS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(f"a comma-separated list of {', '.join(MATCH_KEYS)}")
    return keys


def region_code(text: str) -> str:
    if len(text) != 2 or not text.isascii() or not text.isalpha():
        raise argparse.ArgumentTypeError("a two-letter country code, e.g. IR")
    return text.upper()


def column_mapping(text: str) -> tuple[str, str | None]:
    header, equals, target = text.partition("=")
    if not equals or not header:
        raise argparse.ArgumentTypeError("HEADER=FIELD, or HEADER= to leave the column out")
    return header, target.strip() or None


def add_parser(groups: Any) -> None:
    """`crm import`, beside the other command groups."""
    parser = groups.add_parser("import", help="import a CSV or XLSX file into the CRM (dry run, then run)",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="the CSV, TSV or XLSX file")
    parser.add_argument("--entity", required=True, choices=ENTITIES)
    parser.add_argument("--sheet", help="the XLSX sheet (default the first)")
    parser.add_argument("--mode", choices=("create", "create_or_update", "update"), default="create_or_update")
    parser.add_argument("--match-on", type=match_keys, help="records match on these, e.g. email,phone "
                                                            "(default: the entity's own)")
    parser.add_argument("--region", type=region_code, help="the country of phones without a code, e.g. IR")
    parser.add_argument("--empty-cells", choices=("keep", "clear"), default="keep",
                        help="whether an empty cell clears the field of a record it updates")
    mapping = parser.add_mutually_exclusive_group()
    mapping.add_argument("--mapping-name", help="a mapping saved for files of this shape")
    mapping.add_argument("--map", action="append", type=column_mapping, metavar="HEADER=FIELD",
                         help="change the suggested mapping for one column (repeatable; HEADER= leaves it out)")
    parser.add_argument("--dry-run", action="store_true", help="only the dry run: show what would happen")
    parser.add_argument("--yes", action="store_true", help="run after the dry run without asking")
    parser.add_argument("--stack", help="a deployed stack's name instead of the local stack")
    parser.add_argument("--aws-region", help="the deployed stack's region (default: the AWS environment's)")
    parser.add_argument("--api-url", help="the API's base URL, e.g. https://api.example.com")
    parser.add_argument("--token", help="a token for the API (default $CRM_TOKEN; locally, a demo user's)")
    parser.add_argument("--role", default="sales", help="the local demo user to import as (default sales)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return Importer(locate_api(args)).run(args.file, args)
    except ImportStopped as stopped:
        print(stopped, file=sys.stderr)
        return stopped.exit_code
    except requests.RequestException as error:
        print(f"the API did not answer: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nstopped waiting; the import goes on at the server", file=sys.stderr)
        return EXIT_FAILED

"""`crm`: the project's command line. `crm local run` starts the whole CRM on this machine;
`crm local token --role sales` prints a token for a demo user; `crm dlq list` and `crm dlq replay`
show and re-drive what ended in a dead-letter queue; `crm import FILE --entity contacts` imports a
spreadsheet; `crm sql "SELECT ..."` queries the analytical store. Each command group adds its own
subparsers in `build_parser`, so later features plug in beside `local`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from crm_local import console, importer, log, recount, reindex, sql
from crm_local.clients import local_client
from crm_local.stack import LocalStack, StackError, StackSettings, is_healthy, read_state


def run(args: argparse.Namespace) -> int:
    settings = StackSettings.from_environ()
    if args.http_port:
        settings = replace(settings, http_port=args.http_port)
    if args.aws_port:
        settings = replace(settings, aws_port=args.aws_port)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # moto's web server logs every AWS call; the gateway's own access log is the useful one.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    stack = LocalStack(settings)
    try:
        state = stack.start()
    except Exception:  # noqa: BLE001 - whatever stops the start is logged and the stack stopped
        log.exception("the local stack did not start")
        stack.stop()
        return 1
    print(_summary(state, settings), flush=True)
    for function_id, events in state["unsupported_events"].items():
        print(f"warning: {function_id}: these events do not run locally: {', '.join(events)}", flush=True)
    if is_healthy(state["http_url"]):
        print(f"ready: {state['http_url']}/health answers 200. Ctrl-C stops.", flush=True)
    else:
        print(f"warning: {state['http_url']}/health does not answer 200 yet; the API function may be missing.",
              flush=True)
    while not stop.wait(1):
        pass
    print("stopping the local stack", flush=True)
    stack.stop()
    return 0


def _summary(state: dict[str, Any], settings: StackSettings) -> str:
    users = "\n".join(f"  {user['role']:<10} {user['email']:<28} {user['password']}" for user in state["demo_users"])
    secrets = "\n".join(f"  {name}={value}" for name, value in state["development_secrets"].items())
    form = state["demo_form"]
    return f"""
Serverless CRM, local stack
  staff console           {state['console_url']}  (sign in as a demo user below)
  API (HTTP API gateway)  {state['http_url']}
  embedded AWS (moto)     {state['aws_endpoint']}  region {state['region']}
  Cognito user pool       {state['user_pool_id']}  app client {state['user_pool_client_id']}
  table                   {state['table_name']}
  state file              {settings.state_file}

Demo users (role, email, password):
{users}
  A token for the API:    crm local token --role sales

Mail: SMTP {state['smtp']['host']}:{state['smtp']['port']} receives for {', '.join(state['smtp']['recipients'])}
  What the CRM sent:      crm local outbox

Demo form "{form['form_id']}":
  <script src="{form['embed_url']}"></script>
  allowed origins: {', '.join(form['allowed_origins'])} (add more with CRM_DEMO_FORM_ORIGINS)

Development defaults of secrets (local use only):
{secrets}
"""


def _running_state() -> dict[str, Any] | None:
    """The running local stack's state file, or None (and why, on stderr) when none runs."""
    try:
        return read_state(StackSettings.from_environ())
    except StackError as error:
        print(error, file=sys.stderr)
        return None


def token(args: argparse.Namespace) -> int:
    state = _running_state()
    if state is None:
        return 1
    user = next((u for u in state["demo_users"] if u["role"] == args.role), None)
    if user is None:
        roles = ", ".join(u["role"] for u in state["demo_users"])
        print(f"no demo user for role {args.role!r}; roles: {roles}", file=sys.stderr)
        return 2
    cognito = local_client("cognito-idp", state["aws_endpoint"])
    result = cognito.initiate_auth(ClientId=state["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": user["email"], "PASSWORD": user["password"]})
    tokens = result["AuthenticationResult"]
    print(tokens["AccessToken"] if args.kind == "access" else tokens["IdToken"])
    return 0


def outbox(args: argparse.Namespace) -> int:
    """Mail the CRM sent through the embedded SES (auto-replies, ...), oldest first."""
    from crm_local.smtp import sent_messages  # noqa: PLC0415 - each subcommand loads only what it uses

    state = _running_state()
    if state is None:
        return 1
    messages = sent_messages(state["aws_endpoint"])
    if args.json:
        print(json.dumps(messages, ensure_ascii=False, indent=2))
        return 0
    if not messages:
        print("nothing sent yet")
    for message in messages:
        print(f"From: {message['source']}\nTo: {', '.join(message['destinations'] or [])}\n"
              f"Subject: {message['subject']}\n\n{message['body']}\n{'-' * 72}")
    return 0


def _dead_letter_office(args: argparse.Namespace) -> Any:
    """The DLQs of the deployed stack named by --stack (AWS credentials and region from the environment),
    else of the running local stack; None, said on stderr, when there is neither."""
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues, ReplayError  # noqa: PLC0415 - each subcommand loads only what it uses
    from crm_local.template import Template  # noqa: PLC0415 - each subcommand loads only what it uses

    if args.stack:
        import boto3  # noqa: PLC0415 - only a deployed stack's DLQs need boto3 here
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only a deployed stack's DLQs need boto3 here

        session = boto3.session.Session(region_name=args.region)
        deployed = Template.load(StackSettings.from_environ().template_path)
        try:
            return DeadLetterOffice(session.client, DeadLetterQueues.from_stack(
                session.client("cloudformation"), args.stack, deployed), partial(_invoke_deployed, session, args.stack))
        except (ReplayError, BotoCoreError, ClientError) as error:
            print(f"cannot read stack {args.stack}: {error}", file=sys.stderr)
            return None
    state = _running_state()
    if state is None:
        return None
    template = Template.load(StackSettings.from_environ().template_path, aws_endpoint=state["aws_endpoint"])
    return DeadLetterOffice(partial(local_client, aws_endpoint=state["aws_endpoint"]),
                            DeadLetterQueues.from_template(template), partial(_invoke_locally, template))


def _invoke_deployed(session: Any, stack: str, function_id: str, payload: dict[str, Any]) -> None:
    """Invokes a deployed stack's function asynchronously, as its schedule or Lambda's retries would."""
    function = session.client("cloudformation").describe_stack_resource(
        StackName=stack, LogicalResourceId=function_id)["StackResourceDetail"]["PhysicalResourceId"]
    session.client("lambda").invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())


def _invoke_locally(template: Any, function_id: str, payload: dict[str, Any]) -> None:
    """Runs the local stack's function in this process, with the environment the stack gives its functions."""
    import os  # noqa: PLC0415 - only a local replay sets the functions' environment

    from crm_local.runtime import LocalFunctions, shared_environment  # noqa: PLC0415 - only a local replay runs a function

    specs = template.functions()
    os.environ.update(shared_environment(specs, template.aws_endpoint))
    LocalFunctions(specs).invoke(function_id, payload)


def dlq_list(args: argparse.Namespace) -> int:
    """Per dead-letter queue, how many messages, and a line on each: what input, why it failed."""
    office = _dead_letter_office(args)
    if office is None:
        return 1
    found = office.list()
    if args.json:
        print(json.dumps({queue: [{"message_id": letter.message_id, "summary": letter.summary(office.queues),
                                   "body": letter.body, "attributes": letter.attributes} for letter in letters]
                          for queue, letters in found.items()}, ensure_ascii=False, indent=2))
        return 0
    for queue, letters in found.items():
        print(f"{queue}: {len(letters)} message{'s' * (len(letters) != 1)}")
        for letter in letters:
            print(f"  {letter.message_id}  {letter.summary(office.queues)}")
    return 0


def dlq_replay(args: argparse.Namespace) -> int:
    """Re-drives dead letters to where they came from; each leaves its queue only once re-driven."""
    office = _dead_letter_office(args)
    if office is None:
        return 1
    if args.queue is not None and args.queue not in office.queues.names():
        print(f"no dead-letter queue {args.queue!r}; queues: {', '.join(office.queues.names())}", file=sys.stderr)
        return 2
    replayed, kept = office.replay(args.queue)
    print(f"replayed {replayed}")
    for letter, reason in kept:
        print(f"kept {letter.queue} {letter.message_id}: {reason}")
    return 3 if kept else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="Serverless CRM tools.")
    groups = parser.add_subparsers(dest="group", required=True)

    local = groups.add_parser("local", help="the whole CRM on this machine, without AWS or Docker")
    local_commands = local.add_subparsers(dest="command", required=True)
    run_parser = local_commands.add_parser("run", help="start the local stack in the foreground")
    run_parser.add_argument("--http-port", type=int, help="gateway port (default $CRM_HTTP_PORT or 3000)")
    run_parser.add_argument("--aws-port", type=int, help="moto port (default $CRM_AWS_PORT or 4566)")
    run_parser.set_defaults(handler=run)
    token_parser = local_commands.add_parser(
        "token", help="print a Cognito token of a demo user of the running local stack")
    token_parser.add_argument("--role", required=True, help="admin, sales, marketing or support")
    token_parser.add_argument("--kind", choices=("access", "id"), default="access",
                              help="the access token (default) or the id token; the gateway accepts both")
    token_parser.set_defaults(handler=token)
    outbox_parser = local_commands.add_parser("outbox", help="mail the running local stack sent through SES")
    outbox_parser.add_argument("--json", action="store_true", help="every message with its headers, as JSON")
    outbox_parser.set_defaults(handler=outbox)

    dlq = groups.add_parser("dlq", help="dead-letter queues of the running local stack, or of a deployed one")
    dlq_commands = dlq.add_subparsers(dest="command", required=True)
    list_parser = dlq_commands.add_parser("list", help="how many messages each DLQ holds, one line on each")
    list_parser.add_argument("--json", action="store_true", help="every message with its body and attributes")
    list_parser.set_defaults(handler=dlq_list)
    replay_parser = dlq_commands.add_parser("replay", help="re-drive dead letters to where they came from")
    replay_parser.add_argument("--queue", help="only this DLQ (its name as `crm dlq list` shows it)")
    replay_parser.set_defaults(handler=dlq_replay)
    for command in (list_parser, replay_parser):
        command.add_argument("--stack", help="a deployed stack's name (as given to sam deploy) instead of the local "
                                             "stack; AWS credentials from the environment")
        command.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    importer.add_parser(groups)
    console.add_parser(groups)
    recount.add_parser(groups)
    reindex.add_parser(groups)
    sql.add_parser(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

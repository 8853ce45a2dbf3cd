"""template.yaml is valid, translates offline, and keeps its promises (auth, DLQs, least privilege)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSLambdaDynamoDBExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def translated(sam: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation that `sam deploy` would send, translated offline with local code as S3 URIs."""
    from samtranslator.translator.transform import transform

    class OfflinePolicies:
        def load(self) -> dict[str, str]:
            return MANAGED_POLICIES

    packaged = copy.deepcopy(sam)
    for resource in packaged["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://packaged-artifacts/{resource['Properties'][key].strip('/')}.zip"
    return transform(packaged, {}, OfflinePolicies())


def functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def test_cfn_lint_reports_no_error():
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_the_sam_template_translates_offline(translated):
    resources = translated["Resources"]
    assert {"CrmTable", "CrmHttpApi", "CrmEventBus", "CrmUserPool"} <= set(resources)
    assert {r["Type"] for r in resources.values()} >= {"AWS::Lambda::Function", "AWS::ApiGatewayV2::Api",
                                                      "AWS::Lambda::EventSourceMapping"}


def test_the_table_is_durable_encrypted_and_streams_new_images(sam):
    table = sam["Resources"]["CrmTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"


def test_buckets_block_public_access_and_are_encrypted(sam):
    buckets = [r["Properties"] for r in sam["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert len(buckets) >= 2
    for bucket in buckets:
        assert all(bucket["PublicAccessBlockConfiguration"].values())
        assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_client_routes_need_the_jwt_and_only_public_routes_are_open(sam):
    api = sam["Resources"]["CrmHttpApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] == "CognitoJwt"
    public = ("/forms/", "/webhooks/", "/unsubscribe/", "/health", "/v1/openapi.json", "/v1/docs")
    for fn in functions(sam).values():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            path = event["Properties"]["Path"]
            open_route = event["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
            assert open_route == path.startswith(public), path


def test_every_function_runs_python_3_13_with_the_shared_layer(sam):
    globals_ = sam["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Layers"] == [{"Ref": "SharedLayer"}]
    assert all("Runtime" not in fn["Properties"] for fn in functions(sam).values())


def test_every_asynchronous_target_has_a_dead_letter_queue(sam):
    for name, fn in functions(sam).items():
        for event_name, event in fn["Properties"].get("Events", {}).items():
            props = event["Properties"]
            if event["Type"] in ("EventBridgeRule", "Schedule", "ScheduleV2"):
                assert "DeadLetterConfig" in props, f"{name}.{event_name}"
                # The rule's DLQ holds undeliverable events; the function's holds those it failed on.
                assert fn["Properties"]["DeadLetterQueue"]["Type"] == "SQS", name
            if event["Type"] in ("DynamoDB", "Kinesis"):
                assert props["DestinationConfig"]["OnFailure"]["Destination"], f"{name}.{event_name}"


def test_function_policies_name_their_resources_and_actions(translated):
    for name, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resource = statement["Resource"]
                resources = resource if isinstance(resource, list) else [resource]
                assert not any("*" in a for a in actions), f"{name}: {actions}"
                assert "*" not in resources and not any(
                    isinstance(r, str) and r.endswith(":*") for r in resources), f"{name}: {json.dumps(resources)}"


def test_every_handler_in_the_template_can_be_imported():
    import importlib

    from samtranslator.yaml_helper import yaml_parse

    for fn in functions(yaml_parse(TEMPLATE.read_text())).values():
        module, _, attribute = fn["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute))


def http_routes(sam: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(handler, method, path) for every HttpApi route template.yaml declares."""
    return [(fn["Properties"]["Handler"], event["Properties"]["Method"], event["Properties"]["Path"])
            for fn in functions(sam).values() for event in fn["Properties"].get("Events", {}).values()
            if event["Type"] == "HttpApi"]


ROUTE_MISSING = ("No such route.", "No such webhook.")


def served_routes(sam: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every (handler, method, path) a client can reach: a greedy `{proxy+}` route stands for every path
    the API's own OpenAPI document lists under it."""
    import importlib

    routes = []
    for handler_path, method, path in http_routes(sam):
        if not path.endswith("{proxy+}"):
            routes.append((handler_path, method, path))
            continue
        module = importlib.import_module(handler_path.rpartition(".")[0])
        spec = json.loads(module.openapi_document())
        prefix = path.removesuffix("{proxy+}")
        routes += [(handler_path, operation.upper(), served) for served, operations in spec["paths"].items()
                   if served.startswith(prefix) for operation in operations]
    return routes


def test_every_route_in_the_template_reaches_code_that_serves_it(aws, sam):
    # Given each route the gateway would send, with an admin's claims and path parameters filled in
    import importlib
    import re

    routes = served_routes(sam)
    assert len(routes) > len(http_routes(sam))
    for handler_path, method, path in routes:
        module, _, attribute = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module), attribute)
        params = {name: "x" for name in re.findall(r"{(\w+)}", path)}
        raw_path = re.sub(r"{\w+}", "x", path)
        event = {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": raw_path, "rawQueryString": "",
                 "headers": {"content-type": "application/json"}, "pathParameters": params or None,
                 "requestContext": {"http": {"method": method, "path": raw_path, "sourceIp": "192.0.2.1"},
                                    "authorizer": {"jwt": {"claims": {"sub": "u", "cognito:groups": "[admin]"}}},
                                    "stage": "$default"},
                 "body": "{}", "isBase64Encoded": False}
        # When it is invoked / Then the function answers it, rather than saying it has no such route
        response = handler(event, None)
        body = json.loads(response.get("body") or "{}") if response.get("body", "").startswith("{") else {}
        assert body.get("error", {}).get("message") not in ROUTE_MISSING, f"{method} {path}: {response}"


def test_functions_that_dispatch_by_route_key_serve_only_template_routes(sam):
    import importlib

    declared = {f"{method} {path}" for _, method, path in http_routes(sam)}
    for module in ("lead_capture.handler", "payment_webhook.handler"):
        assert set(importlib.import_module(module).ROUTES) <= declared, module


CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov_failures(template: Path) -> list[str]:
    """checkov's failed checks on one CloudFormation file, offline (no Prisma Cloud guideline download)."""
    import subprocess

    assert CHECKOV.exists(), "checkov lives in its own venv: run infra/scripts/install_checkov.sh (make test does)"
    run = subprocess.run([str(CHECKOV), "-f", str(template), "--framework", "cloudformation", "--skip-download",
                          "--quiet", "-o", "json"], capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(run.stdout)
    assert report["summary"]["parsing_errors"] == 0 and report["summary"]["passed"] > 0, run.stderr
    return [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]


def test_checkov_finds_no_failed_check_in_the_template():
    assert checkov_failures(TEMPLATE) == []


def test_checkov_finds_no_failed_check_in_the_translated_template(translated, tmp_path):
    # checkov reads SAM resources only partly; the translated roles, permissions and stages are checked here
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translated))
    assert checkov_failures(path) == []


def test_every_checkov_skip_says_why(sam):
    skips = [(name, skip) for name, resource in sam["Resources"].items()
             for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skips
    assert [name for name, skip in skips if len(skip.get("comment", "")) < 20] == []

"""The deployed console as template.yaml declares it: a private bucket only CloudFront reads, /v1/* routed to the
HTTP API on the same origin, the same Content-Security-Policy the local stack serves, and sign-in by code + PKCE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crm_local.console import content_security_policy

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())["Resources"]


def test_the_console_bucket_is_private_and_read_by_its_distribution_alone(resources: dict[str, Any]) -> None:
    bucket = resources["ConsoleBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statement, = resources["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"} and statement["Action"] == "s3:GetObject"
    assert "distribution/${ConsoleDistribution}" in statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    origins = {o["Id"]: o for o in resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]["Origins"]}
    assert origins["console"]["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}


def test_api_calls_go_to_the_http_api_uncached_on_the_consoles_origin(resources: dict[str, Any]) -> None:
    config = resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    api, = config["CacheBehaviors"]
    assert api["PathPattern"] == "/v1/*" and api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # managed CachingDisabled
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def test_the_deployed_policy_is_the_local_one_with_the_deployed_origins(resources: dict[str, Any]) -> None:
    headers = resources["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    deployed = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert deployed == content_security_policy("https://crm-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com",
                                               "https://${DataTransferBucket}.s3.${AWS::Region}.amazonaws.com",
                                               "https://${DataTransferBucket}.s3.amazonaws.com")
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_the_app_client_signs_in_by_code_with_no_secret_back_to_the_console(resources: dict[str, Any]) -> None:
    client = resources["CrmUserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["GenerateSecret"] is False
    assert client["CallbackURLs"] == [{"Fn::Sub": "${PublicUrl}/"}]

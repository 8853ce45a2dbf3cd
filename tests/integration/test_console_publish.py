"""Publishing the console onto a deployed stack: its build into the console bucket, with the sign-in settings of
the stack's user pool, cached as a CDN should cache each file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from crm_local.console import deployed_config, upload

OUTPUTS = {"SignInDomain": "crm-123456789012.auth.eu-west-1.amazoncognito.com", "UserPoolClientId": "client123",
           "ConsoleBucketName": "crm-console"}


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<div id="app"></div><script src="/assets/index-abc.js"></script>')
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "assets" / "index-abc.css").write_text("body{}")
    return tmp_path


def test_a_build_is_uploaded_with_its_sign_in_settings_and_index_html_last(aws: Any, build: Path) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="crm-console")
    # When a build is published
    written = upload(s3, "crm-console", build, deployed_config(OUTPUTS))
    # Then the assets go first, and index.html, which names them, last
    assert written == ["assets/index-abc.css", "assets/index-abc.js", "config.json", "index.html"]
    asset = s3.get_object(Bucket="crm-console", Key="assets/index-abc.js")
    assert asset["ContentType"] == "text/javascript" and "immutable" in asset["CacheControl"]
    assert s3.get_object(Bucket="crm-console", Key="index.html")["CacheControl"] == "no-cache"
    # And config.json points the console at the stack's hosted UI and app client
    config = json.loads(s3.get_object(Bucket="crm-console", Key="config.json")["Body"].read())
    assert config == {"authorize_url": f"https://{OUTPUTS['SignInDomain']}/oauth2/authorize",
                      "token_url": f"https://{OUTPUTS['SignInDomain']}/oauth2/token",
                      "logout_url": f"https://{OUTPUTS['SignInDomain']}/logout", "client_id": "client123",
                      "scopes": "openid email profile"}


def test_nothing_is_uploaded_without_a_build(aws: Any, tmp_path: Path) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="crm-console")
    with pytest.raises(FileNotFoundError):
        upload(s3, "crm-console", tmp_path, deployed_config(OUTPUTS))
    assert s3.list_objects_v2(Bucket="crm-console").get("KeyCount") == 0

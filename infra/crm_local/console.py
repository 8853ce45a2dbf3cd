"""The staff console on the local stack, at the gateway's own origin as CloudFront serves it beside /v1/*: its
built files (console/dist) with the deployed response headers, its config.json, and a stand-in for the Cognito
hosted UI's endpoints that the console signs in through (authorization code with PKCE, RFC 7636), which checks
the demo users' passwords against the embedded Cognito and hands out the tokens it issues.

Like the hosted UI, the stand-in keeps its own sign-in session in an HttpOnly cookie, so a reload of the console
(whose tokens live in memory only) signs in again without a password."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import mimetypes
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from crm_local import log
from crm_local.apigw import HttpRequest, HttpResponse

CONSOLE_DIST = Path(__file__).resolve().parents[2] / "console" / "dist"
SCOPES = "openid email profile"
CODE_SECONDS = 300
SESSION_COOKIE = "crm_hosted_ui"
# Built assets carry their content's hash in their names, so they may be cached for good.
IMMUTABLE = "public, max-age=31536000, immutable"


def content_security_policy(*connect: str) -> str:
    """What CloudFront's response-headers policy sends with every console file (template.yaml,
    ConsoleHeadersPolicy): everything from the console's own origin, but the requests it may also make (the
    sign-in's token endpoint, an import's upload straight to the transfer bucket)."""
    sources = " ".join(("'self'", *connect))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {sources}; font-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


def security_headers(*connect: str) -> list[tuple[str, str]]:
    return [("Content-Security-Policy", content_security_policy(*connect)), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin")]


@dataclass(frozen=True)
class _Grant:
    tokens: dict[str, Any]
    client_id: str
    redirect_uri: str
    challenge: str
    expires_at: float


class ConsoleSite:
    """Answers what the gateway's routes do not: the console's files and its sign-in; None for anything else."""

    def __init__(self, cognito: Any, client_id: str, origin: str, uploads: str, dist: Path = CONSOLE_DIST) -> None:
        """`uploads`: the origin an import's file is posted to (the embedded S3)."""
        self._headers = security_headers(uploads)
        self._cognito = cognito
        self._client_id = client_id
        self._origin = origin
        self._dist = dist
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._sessions: dict[str, str] = {}  # session id -> refresh token

    @property
    def redirect_uri(self) -> str:
        return f"{self._origin}/"

    def handle(self, request: HttpRequest) -> HttpResponse | None:
        path, method = request.raw_path, request.method
        if path == "/oauth2/authorize" and method == "GET":
            return self._authorize(request)
        if path == "/login" and method == "POST":
            return self._login(request)
        if path == "/oauth2/token" and method == "POST":
            return self._token(request)
        if path == "/logout" and method == "GET":
            return self._logout(request)
        if path == "/config.json" and method == "GET":
            return _json(200, {"authorize_url": f"{self._origin}/oauth2/authorize",
                               "token_url": f"{self._origin}/oauth2/token", "logout_url": f"{self._origin}/logout",
                               "client_id": self._client_id, "scopes": SCOPES})
        if method in ("GET", "HEAD"):
            return self._file(path)
        return None

    # The console's files -------------------------------------------------------------------------------------

    def _file(self, path: str) -> HttpResponse | None:
        if path == "/":
            path = "/index.html"
        if not (path == "/index.html" or path.startswith("/assets/")):
            return None
        if not (self._dist / "index.html").is_file():
            return _page(503, "The console is not built", "<p>Build it with <code>make console</code> (or "
                         "<code>make run</code>, which builds it first).</p>")
        target = (self._dist / path.lstrip("/")).resolve()
        if not target.is_relative_to(self._dist.resolve()) or not target.is_file():
            return None
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        cache = IMMUTABLE if path.startswith("/assets/") else "no-cache"
        return HttpResponse(200, [("Content-Type", content_type), ("Cache-Control", cache), *self._headers],
                            target.read_bytes())

    # The hosted UI's stand-in --------------------------------------------------------------------------------

    def _authorize(self, request: HttpRequest) -> HttpResponse:
        query = {key: values[0] for key, values in parse_qs(request.raw_query).items()}
        problem = self._authorize_problem(query)
        if problem:
            return _page(400, "Sign-in refused", f"<p>{html.escape(problem)}</p>")
        refresh = self._sessions.get(_cookie(request, SESSION_COOKIE) or "")
        if refresh:
            try:
                result = self._cognito.initiate_auth(ClientId=self._client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                                     AuthParameters={"REFRESH_TOKEN": refresh})
                return self._redirect_with_code(query, {**result["AuthenticationResult"], "RefreshToken": refresh})
            except Exception:  # noqa: BLE001 - an expired or unknown session just asks for the password again
                log.info("the hosted UI session could not be refreshed; asking for the password")
        return _page(200, "Sign in", _login_form(query))

    def _authorize_problem(self, query: dict[str, str]) -> str | None:
        if query.get("response_type") != "code":
            return "response_type must be code."
        if query.get("client_id") != self._client_id:
            return "Unknown client_id."
        if query.get("redirect_uri") != self.redirect_uri:
            return "redirect_uri is not one of the app client's callback URLs."
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "A code_challenge with code_challenge_method S256 is required (PKCE)."
        return None

    def _login(self, request: HttpRequest) -> HttpResponse:
        form = {key: values[0] for key, values in parse_qs(request.body.decode("utf-8", "replace")).items()}
        problem = self._authorize_problem(form)
        if problem:
            return _page(400, "Sign-in refused", f"<p>{html.escape(problem)}</p>")
        try:
            result = self._cognito.initiate_auth(
                ClientId=self._client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": form.get("username", ""), "PASSWORD": form.get("password", "")})
        except Exception:  # noqa: BLE001 - wrong password, unknown user: the same answer for both
            return _page(401, "Sign in", "<p role=\"alert\">Incorrect email or password.</p>" + _login_form(form))
        tokens = result["AuthenticationResult"]
        response = self._redirect_with_code(form, tokens)
        session_id = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[session_id] = tokens["RefreshToken"]
        return HttpResponse(response.status, [*response.headers, (
            "Set-Cookie", f"{SESSION_COOKIE}={session_id}; HttpOnly; SameSite=Lax; Path=/")])

    def _redirect_with_code(self, query: dict[str, str], tokens: dict[str, Any]) -> HttpResponse:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(tokens, query["client_id"], query["redirect_uri"], query["code_challenge"],
                                        time.monotonic() + CODE_SECONDS)
        back = {"code": code, **({"state": query["state"]} if query.get("state") else {})}
        return HttpResponse(302, [("Location", f"{query['redirect_uri']}?{urlencode(back)}"),
                                  ("Cache-Control", "no-store")])

    def _token(self, request: HttpRequest) -> HttpResponse:
        form = {key: values[0] for key, values in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "authorization_code":
            return _json(400, {"error": "unsupported_grant_type"})
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        if (grant is None or grant.expires_at < time.monotonic() or grant.client_id != form.get("client_id")
                or grant.redirect_uri != form.get("redirect_uri") or not secrets.compare_digest(
                    _challenge(verifier), grant.challenge)):
            return _json(400, {"error": "invalid_grant"})
        tokens = grant.tokens
        return _json(200, {"access_token": tokens["AccessToken"], "id_token": tokens["IdToken"],
                           "expires_in": int(tokens.get("ExpiresIn", 3600)), "token_type": "Bearer"})

    def _logout(self, request: HttpRequest) -> HttpResponse:
        query = {key: values[0] for key, values in parse_qs(request.raw_query).items()}
        with self._lock:
            self._sessions.pop(_cookie(request, SESSION_COOKIE) or "", None)
        target = query.get("logout_uri") if query.get("logout_uri") == self.redirect_uri else None
        headers = [("Set-Cookie", f"{SESSION_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/")]
        if target is None or query.get("client_id") != self._client_id:
            return HttpResponse(400, headers, b"logout_uri is not one of the app client's sign-out URLs")
        return HttpResponse(302, [("Location", target), *headers])


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _cookie(request: HttpRequest, name: str) -> str | None:
    for part in (request.header("Cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _login_form(query: dict[str, str]) -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(query.get(key, ""))}">'
                     for key in ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
                                 "code_challenge_method", "scope"))
    return ('<form method="post" action="/login">' + hidden +
            '<p><label for="username">Email</label><br><input id="username" name="username" type="email" '
            'autocomplete="username" required></p>'
            '<p><label for="password">Password</label><br><input id="password" name="password" type="password" '
            'autocomplete="current-password" required></p>'
            '<p><button type="submit">Sign in</button></p></form>')


def _page(status: int, title: str, body: str) -> HttpResponse:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>')
    return HttpResponse(status, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                 *security_headers()], page.encode("utf-8"))


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                        json.dumps(body).encode("utf-8"))


# `crm console ...` ------------------------------------------------------------------------------------------

def add_parser(groups: Any) -> None:
    """`crm console openapi FILE`: the API's OpenAPI document, which the console's types are generated from;
    `crm console publish --stack NAME`: the built console and its sign-in settings, onto a deployed stack."""
    console = groups.add_parser("console", help="the staff console's build and its publishing")
    commands = console.add_subparsers(dest="command", required=True)
    openapi = commands.add_parser("openapi", help="write the API's OpenAPI document (as /v1/openapi.json serves it)")
    openapi.add_argument("out", type=Path, help="where to write it, e.g. build/openapi.json")
    openapi.set_defaults(handler=write_openapi)
    publish_parser = commands.add_parser("publish", help="upload console/dist and config.json to a deployed stack")
    publish_parser.add_argument("--stack", required=True, help="the deployed stack's name")
    publish_parser.add_argument("--region", help="its region (default: the AWS environment's)")
    publish_parser.set_defaults(handler=publish)


def deployed_config(outputs: dict[str, str]) -> dict[str, str]:
    """The console's config.json on a deployed stack: the user pool's hosted UI and the app client."""
    domain = outputs["SignInDomain"]
    return {"authorize_url": f"https://{domain}/oauth2/authorize", "token_url": f"https://{domain}/oauth2/token",
            "logout_url": f"https://{domain}/logout", "client_id": outputs["UserPoolClientId"], "scopes": SCOPES}


def upload(s3: Any, bucket: str, dist: Path, config: dict[str, str]) -> list[str]:
    """Uploads a build: hashed assets first (cached for good), then config.json and index.html (never cached),
    so that no index.html ever names an asset not there yet. Returns the keys written."""
    if not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist} holds no build: run `make console` first")
    files = sorted(path for path in dist.rglob("*") if path.is_file() and path.name != "index.html")
    written = []
    for path in files:
        key = path.relative_to(dist).as_posix()
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), CacheControl=IMMUTABLE,
                      ContentType=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        written.append(key)
    s3.put_object(Bucket=bucket, Key="config.json", Body=json.dumps(config).encode("utf-8"), CacheControl="no-cache",
                  ContentType="application/json")
    s3.put_object(Bucket=bucket, Key="index.html", Body=(dist / "index.html").read_bytes(), CacheControl="no-cache",
                  ContentType="text/html; charset=utf-8")
    return [*written, "config.json", "index.html"]


def publish(args: Any) -> int:
    import boto3  # noqa: PLC0415 - only this command talks to a deployed stack

    session = boto3.session.Session(region_name=args.region)
    stacks = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs") or ()}
    written = upload(session.client("s3"), outputs["ConsoleBucketName"], CONSOLE_DIST, deployed_config(outputs))
    paths = {"Quantity": 2, "Items": ["/index.html", "/config.json"]}
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={"Paths": paths, "CallerReference": secrets.token_hex(8)})
    print(f"published {len(written)} files; the console is at {outputs['ConsoleUrl']}")
    return 0


def write_openapi(args: Any) -> int:
    import os  # noqa: PLC0415 - only this command sets an environment

    # The document is built from the routes' code alone; the API's settings need names, not a deployment.
    for name, value in (("CRM_TABLE_NAME", "crm"), ("CRM_EVENT_BUS_NAME", "crm"),
                        ("CRM_ATTACHMENTS_BUCKET", "crm"), ("AWS_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    from api.handler import openapi_document  # noqa: PLC0415 - the API's code, only for this command

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(openapi_document(), encoding="utf-8")
    return 0

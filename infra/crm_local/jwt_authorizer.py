"""API Gateway's JWT authorizer, locally: the token's RS256 signature against the issuer's JWKS, its
issuer, its audience (`aud`, or `client_id` when there is no `aud`), exp, nbf and iat, then the route's
scopes. The claims reach the function flattened to strings, as API Gateway passes them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.request import urlopen

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from crm_local.template import JwtAuthorizer


class Unauthorized(Exception):
    """401: no token, or one API Gateway would refuse."""


class Forbidden(Exception):
    """403: a valid token without any of the route's scopes."""


@dataclass(frozen=True)
class Authorization:
    claims: dict[str, str]
    scopes: list[str] | None

    def as_request_context(self) -> dict[str, Any]:
        return {"jwt": {"claims": self.claims, "scopes": self.scopes}}


def cognito_jwks_url(issuer: str, aws_endpoint: str) -> str:
    """Where the local Cognito (moto) serves the keys of the pool the issuer names."""
    pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
    return f"{aws_endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"


def fetch_json(url: str) -> Mapping[str, Any]:
    with urlopen(url, timeout=5) as response:  # noqa: S310 - the URL is the local moto endpoint
        return json.load(response)


class JwksCache:
    """Each issuer's keys, fetched on first use and again only for a key id not seen yet (rotation)."""

    def __init__(self, jwks_url: Callable[[str], str], fetch: Callable[[str], Mapping[str, Any]] = fetch_json):
        self._jwks_url = jwks_url
        self._fetch = fetch
        self._key_sets: dict[str, KeySet] = {}
        self._lock = threading.Lock()

    def key_set(self, issuer: str, kid: str | None) -> KeySet:
        with self._lock:
            cached = self._key_sets.get(issuer)
            if cached is None or (kid is not None and kid not in {key.kid for key in cached.keys}):
                cached = KeySet.import_key_set(dict(self._fetch(self._jwks_url(issuer))))
                self._key_sets[issuer] = cached
            return cached


class JwtVerifier:
    def __init__(self, keys: JwksCache, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._clock = clock

    def authorize(self, authorizer: JwtAuthorizer, header_value: str | None,
                  required_scopes: tuple[str, ...] = ()) -> Authorization:
        token = (header_value or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise Unauthorized("no token")
        try:
            kid = extract_compact(token.encode()).protected.get("kid")
            decoded = jwt.decode(token, self._keys.key_set(authorizer.issuer, kid), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized(f"undecodable or badly signed token: {exc}") from exc
        claims = decoded.claims
        self._check_claims(authorizer, claims)
        scopes = str(claims["scope"]).split() if "scope" in claims else None
        if required_scopes and not set(required_scopes) & set(scopes or ()):
            raise Forbidden("the token has none of the route's scopes")
        return Authorization({name: flatten_claim(value) for name, value in claims.items()}, scopes)

    def _check_claims(self, authorizer: JwtAuthorizer, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        if claims.get("iss") != authorizer.issuer:
            raise Unauthorized("wrong issuer")
        if "aud" in claims:
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        else:
            audiences = [claims.get("client_id")]
        if not set(audiences) & set(authorizer.audience):
            raise Unauthorized("wrong audience")
        if not _is_number(claims.get("exp")) or claims["exp"] <= now:
            raise Unauthorized("expired or without exp")
        if _is_number(claims.get("nbf")) and claims["nbf"] > now:
            raise Unauthorized("not valid yet")
        if _is_number(claims.get("iat")) and claims["iat"] > now:
            raise Unauthorized("issued in the future")


def flatten_claim(value: Any) -> str:
    """API Gateway passes every claim as a string; an array becomes "[admin sales]"."""
    if isinstance(value, list):
        return "[" + " ".join(flatten_claim(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

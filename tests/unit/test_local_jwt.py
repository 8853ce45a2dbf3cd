"""The local JWT authorizer refuses what API Gateway's would, and passes claims the way it does."""

from __future__ import annotations

from typing import Any

import pytest
from crm_local.jwt_authorizer import JwksCache, JwtVerifier, Unauthorized
from crm_local.template import JwtAuthorizer
from joserfc import jwt
from joserfc.jwk import RSAKey

NOW = 1_700_000_000
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
AUTHORIZER = JwtAuthorizer("CognitoJwt", ISSUER, ("client-1",), "authorization")
KEY = RSAKey.generate_key(2048, parameters={"kid": "key-1"}, private=True)


class FakeJwks:
    """The pool's published keys; counts fetches."""

    def __init__(self, key: RSAKey) -> None:
        self.key = key
        self.fetches = 0

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [self.key.as_dict(private=False)]}


def sign(claims: dict[str, Any], key: RSAKey = KEY) -> str:
    return jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, key)


def id_claims(**overrides: Any) -> dict[str, Any]:
    return {"iss": ISSUER, "aud": "client-1", "sub": "user-1", "token_use": "id", "iat": NOW - 10,
            "exp": NOW + 3600, "cognito:groups": ["admin", "sales"], "email_verified": True, **overrides}


@pytest.fixture
def verifier() -> JwtVerifier:
    return JwtVerifier(JwksCache(lambda issuer: f"jwks-of:{issuer}", FakeJwks(KEY)), clock=lambda: NOW)


def test_a_valid_id_token_passes_with_flattened_claims(verifier: JwtVerifier) -> None:
    # When a valid id token is presented with the Bearer prefix
    authorization = verifier.authorize(AUTHORIZER, f"Bearer {sign(id_claims())}")

    # Then every claim is a string, arrays as API Gateway flattens them
    assert authorization.claims["cognito:groups"] == "[admin sales]"
    assert authorization.claims["exp"] == str(NOW + 3600)
    assert authorization.claims["email_verified"] == "true"
    assert authorization.scopes is None


def test_an_access_token_passes_by_its_client_id(verifier: JwtVerifier) -> None:
    claims = id_claims(token_use="access", client_id="client-1", scope="aws.cognito.signin.user.admin")
    del claims["aud"]

    authorization = verifier.authorize(AUTHORIZER, sign(claims))

    assert authorization.scopes == ["aws.cognito.signin.user.admin"]


@pytest.mark.parametrize("claims", [
    id_claims(exp=NOW - 1),
    id_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
    id_claims(aud="another-client"),
    id_claims(nbf=NOW + 60),
    id_claims(iat=NOW + 60),
    {key: value for key, value in id_claims().items() if key != "exp"},
], ids=["expired", "wrong-issuer", "wrong-audience", "not-yet-valid", "issued-in-future", "no-exp"])
def test_tokens_api_gateway_refuses_are_refused(verifier: JwtVerifier, claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        verifier.authorize(AUTHORIZER, sign(claims))


def test_a_token_signed_by_another_key_is_refused(verifier: JwtVerifier) -> None:
    # Given a token signed by a key that merely claims the pool's key id
    forged = sign(id_claims(), RSAKey.generate_key(2048, parameters={"kid": "key-1"}, private=True))

    with pytest.raises(Unauthorized):
        verifier.authorize(AUTHORIZER, forged)


@pytest.mark.parametrize("header", [None, "", "Bearer ", "not-a-jwt"])
def test_missing_or_malformed_tokens_are_refused(verifier: JwtVerifier, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        verifier.authorize(AUTHORIZER, header)


def test_keys_are_fetched_once_per_issuer() -> None:
    # Given a verifier whose key source counts fetches
    jwks = FakeJwks(KEY)
    verifier = JwtVerifier(JwksCache(lambda issuer: issuer, jwks), clock=lambda: NOW)

    # When two tokens are checked
    verifier.authorize(AUTHORIZER, sign(id_claims()))
    verifier.authorize(AUTHORIZER, sign(id_claims(sub="user-2")))

    # Then the keys were fetched once
    assert jwks.fetches == 1

"""Authentication: nothing but /healthz without a bearer token; API keys from the principals
file (reloaded when it changes); JWTs with pinned algorithm, ``exp`` and ``aud``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from graphsvc.api import JwtConfig
from graphsvc.policy.principals import Principal, add_key, add_principal, revoke_key
from tests.api.conftest import (
    JWT_AUDIENCE,
    JWT_SECRET,
    Api,
    StartServer,
    make_jwt,
)

ME = "{ me { id agency country clearance caveats roles authentication } }"
CLAIMS = {
    "sub": "jwt-analyst",
    "name": "Analyst from the IdP",
    "agency": "FR-OCRTEH",
    "country": "FR",
    "clearance": "CONFIDENTIAL",
    "caveats": ["FIU"],
    "roles": ["analyst"],
}


def unauthenticated(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    message: str = error["message"]
    return message


def test_healthz_needs_no_token_and_reports_the_store(seed_api: Api) -> None:
    response = seed_api.http.get(f"{seed_api.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "store": "ok", "audit": "ok"}


def test_every_other_request_needs_a_bearer_token(seed_api: Api) -> None:
    assert "no Authorization header" in unauthenticated(seed_api.post(ME))
    assert "no Authorization header" in unauthenticated(
        seed_api.http.get(f"{seed_api.url}/schema.graphql")
    )
    assert "no Authorization header" in unauthenticated(
        seed_api.http.get(f"{seed_api.url}/graphql", headers={"Accept": "application/json"})
    )
    basic = seed_api.http.post(
        f"{seed_api.url}/graphql", json={"query": ME}, headers={"Authorization": "Basic eDp5"}
    )
    assert "Bearer <token>" in unauthenticated(basic)


def test_graphiql_page_in_a_browser_holds_no_data(seed_api: Api) -> None:
    page = seed_api.http.get(f"{seed_api.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "shouldPersistHeaders: false" in page.text  # tokens are not kept in the browser


def test_demo_keys_identify_their_principals(seed_api: Api) -> None:
    me = seed_api.data(ME, as_="fr-supervisor")["me"]
    assert me == {
        "id": "fr-supervisor",
        "agency": "FR-OCRTEH",
        "country": "FR",
        "clearance": "SECRET",
        "caveats": ["FIU", "HUMINT"],
        "roles": ["analyst", "supervisor"],
        "authentication": "api-key:demo-fr-supervisor",
    }


@pytest.mark.parametrize(
    "token",
    [
        "gsk_demo-fr-analyst_lys-noir-public-demo-tokeN",  # one character changed
        "gsk_demo-fr-analyst_",  # no secret
        "gsk_demo-nobody_lys-noir-public-demo-token",  # unknown key id
        "gsk_DEMO-fr-analyst_lys-noir-public-demo-token",
    ],
)
def test_wrong_api_keys_are_refused(seed_api: Api, token: str) -> None:
    assert unauthenticated(seed_api.post(ME, token=token)) == "unknown or revoked API key"


def test_keys_added_and_revoked_take_effect_without_a_restart(seed_api: Api) -> None:
    policy = seed_api.services.schema.policy
    newcomer = Principal.model_validate(
        {"id": "nl-liaison", "agency": "NL-NP", "country": "NL", "clearance": "RESTRICTED"}
    )
    token = add_principal(seed_api.principals_path, newcomer, policy)
    assert seed_api.data(ME, token=token)["me"]["id"] == "nl-liaison"
    second = add_key(seed_api.principals_path, "nl-liaison", policy)
    first_key = token.split("_")[1]
    revoke_key(seed_api.principals_path, "nl-liaison", first_key, policy)
    assert unauthenticated(seed_api.post(ME, token=token)) == "unknown or revoked API key"
    assert seed_api.data(ME, token=second)["me"]["authentication"].startswith("api-key:")


def test_a_broken_principals_file_keeps_the_last_good_one(seed_api: Api) -> None:
    seed_api.principals_path.write_text("principals: [oops", encoding="utf-8")
    assert seed_api.data(ME, as_="be-analyst")["me"]["id"] == "be-analyst"


def test_jwt_claims_become_the_principal(seed_api: Api) -> None:
    me = seed_api.data(ME, token=make_jwt(CLAIMS))["me"]
    assert me == {
        "id": "jwt-analyst",
        "agency": "FR-OCRTEH",
        "country": "FR",
        "clearance": "CONFIDENTIAL",
        "caveats": ["FIU"],
        "roles": ["analyst"],
        "authentication": "jwt",
    }


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (make_jwt({**CLAIMS, "exp": int(time.time()) - 3600}), "expired"),
        (make_jwt({**CLAIMS, "aud": "another-service"}), "not meant for this server"),
        (make_jwt(CLAIMS, key="another-secret-of-at-least-thirty-two-bytes"), "Signature"),
        (make_jwt({**CLAIMS, "clearance": "TOP-SECRET"}), "clearance"),
        (make_jwt({**CLAIMS, "caveats": ["NOFORN"]}), "unknown caveats"),
        (make_jwt({**CLAIMS, "country": "XX"}), "country"),
        (make_jwt({**CLAIMS, "roles": ["root"]}), "roles"),
        (make_jwt({k: v for k, v in CLAIMS.items() if k != "sub"}), "'sub'"),
        (
            pyjwt.encode({**CLAIMS, "aud": JWT_AUDIENCE}, JWT_SECRET, algorithm="HS256"),
            "'exp'",
        ),
        (
            pyjwt.encode(
                {**CLAIMS, "aud": JWT_AUDIENCE, "exp": int(time.time()) + 60},
                JWT_SECRET * 2,
                algorithm="HS512",
            ),
            "HS256",
        ),
        ("not.a.jwt", "invalid token"),
    ],
)
def test_bad_jwts_are_refused_with_the_reason(seed_api: Api, token: str, reason: str) -> None:
    assert reason in unauthenticated(seed_api.post(ME, token=token))


def test_unsigned_jwt_is_refused(seed_api: Api) -> None:
    token = pyjwt.encode(
        {**CLAIMS, "aud": JWT_AUDIENCE, "exp": int(time.time()) + 60}, None, algorithm="none"
    )
    assert "HS256" in unauthenticated(seed_api.post(ME, token=token))


def test_rs256_pins_the_algorithm(start_server: StartServer) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    api = start_server(jwt=JwtConfig(key=public_pem, algorithm="RS256", audience=JWT_AUDIENCE))
    good = make_jwt(CLAIMS, key=private_pem, algorithm="RS256")
    assert api.data(ME, token=good)["me"]["id"] == "jwt-analyst"
    # the classic confusion attack: HS256 "signed" with the public key as the secret
    forged = _hs256_by_hand(
        {**CLAIMS, "aud": JWT_AUDIENCE, "exp": int(time.time()) + 60}, public_pem.encode()
    )
    assert "RS256" in unauthenticated(api.post(ME, token=forged))


def _hs256_by_hand(claims: dict[str, object], secret: bytes) -> str:
    """PyJWT refuses to HMAC with a PEM key, so the attacker's token is made by hand."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + b"."
        + b64(json.dumps(claims).encode())
    )
    signature = b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


def test_jwt_disabled_means_only_api_keys(start_server: StartServer) -> None:
    api = start_server()
    message = unauthenticated(api.post(ME, token=make_jwt(CLAIMS)))
    assert message == "not an API key, and JWT tokens are not enabled on this server"


def test_no_argument_can_change_the_caller(seed_api: Api) -> None:
    """Arguments that look like identity are not arguments at all: GraphQL refuses them."""
    body = seed_api.gql('{ me(id: "fr-supervisor") { id } }', as_="be-analyst")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    answer = seed_api.data(
        '{ entity(id: "ocrteh:HUMINT-0001") { id } }'.replace("entity", "entities").replace(
            '(id: "ocrteh:HUMINT-0001")', '(ids: ["ocrteh:HUMINT-0001"])'
        ),
        as_="fr-analyst",
    )
    assert answer == {"entities": []}

"""The identity sandbox through google-auth and google-auth-oauthlib over real HTTP."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import google.auth.exceptions
import pytest
import requests
from google.auth.transport.requests import Request
from google.oauth2 import credentials as user_credentials
from google.oauth2 import id_token, service_account
from google_auth_oauthlib.flow import Flow

from backend.sandbox.google_identity import FakeClock
from backend.sandbox.sheets import GoogleSandboxes

AUDIENCE = "1234-addon.apps.googleusercontent.com"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
REDIRECT = "http://127.0.0.1:5000/oauth/google/callback"


def test_service_account_key_file_exchanges_its_jwt_here(sandboxes: GoogleSandboxes, sa_credentials: Any) -> None:
    sa_credentials.refresh(Request())
    principal = sandboxes.identity.tokens.principal_for(sa_credentials.token)
    assert principal is not None
    assert principal.email == sa_credentials.service_account_email
    assert principal.service_account
    assert set(sa_credentials.scopes) <= principal.scopes


def test_assertion_signed_by_another_key_is_rejected(
    sandboxes: GoogleSandboxes, sa_key_file: Path, tmp_path: Path
) -> None:
    email = json.loads(sa_key_file.read_text())["client_email"]
    sandboxes.identity.write_service_account_key(
        tmp_path / "rotated.json", email
    )  # the old key is no longer registered
    stale = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(sa_key_file), scopes=[SHEETS_SCOPE]
    )
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        stale.refresh(Request())


def test_assertion_outside_its_time_window_is_rejected(
    sandboxes: GoogleSandboxes, sa_credentials: Any, clock: FakeClock
) -> None:
    clock.advance(2 * 3600)  # the sandbox's now is two hours after google-auth's iat
    with pytest.raises(google.auth.exceptions.RefreshError, match="short-lived"):
        sa_credentials.refresh(Request())


def test_unknown_grant_type_and_unknown_account(sandboxes: GoogleSandboxes) -> None:
    reply = requests.post(sandboxes.identity.token_uri, data={"grant_type": "password"}, timeout=5)
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"
    reply = requests.post(
        sandboxes.identity.token_uri, data={"grant_type": "authorization_code", "client_id": "nope"}, timeout=5
    )
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_client", "error_description": "Unauthorized"}


@pytest.fixture
def web_flow(sandboxes: GoogleSandboxes, monkeypatch: pytest.MonkeyPatch) -> Flow:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib insists on https; the sandbox is loopback http
    sandboxes.identity.add_user("founder@shop.test", "Founder")
    config = sandboxes.identity.register_client("web-client.apps.googleusercontent.com", "s3cret", [REDIRECT])
    scopes = ["openid", "https://www.googleapis.com/auth/userinfo.email", SHEETS_SCOPE]
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT)


def _follow_consent(url: str) -> str:
    reply = requests.get(url, allow_redirects=False, timeout=5)
    assert reply.status_code == 302
    return str(reply.headers["Location"])


def test_web_flow_with_pkce_gets_tokens_and_refreshes(sandboxes: GoogleSandboxes, web_flow: Flow) -> None:
    url, state = web_flow.authorization_url(prompt="consent", sandbox_auto_approve="1")
    assert "code_challenge_method=S256" in url
    callback = _follow_consent(url)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)["state"] == [state]
    web_flow.fetch_token(authorization_response=callback)
    creds = web_flow.credentials
    principal = sandboxes.identity.tokens.principal_for(creds.token)
    assert principal is not None and principal.email == "founder@shop.test"
    assert creds.refresh_token  # access_type=offline is Flow's default
    claims = id_token.verify_token(
        creds.id_token,
        Request(),
        audience="web-client.apps.googleusercontent.com",
        certs_url=sandboxes.identity.certs_url,
    )
    assert claims["email"] == "founder@shop.test"

    # from_authorized_user_info() always resets token_uri to Google's, so stored credentials are rebuilt
    # with the configured token URI instead.
    stored = json.loads(creds.to_json())
    restored = user_credentials.Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=stored["refresh_token"],
        token_uri=sandboxes.identity.token_uri,
        client_id=stored["client_id"],
        client_secret=stored["client_secret"],
    )
    restored.refresh(Request())  # type: ignore[no-untyped-call]
    assert restored.token is not None
    assert restored.token != creds.token
    assert sandboxes.identity.tokens.principal_for(restored.token) is not None


def test_code_is_single_use_and_bound_to_its_verifier(sandboxes: GoogleSandboxes, web_flow: Flow) -> None:
    url, _ = web_flow.authorization_url(sandbox_auto_approve="1")
    callback = _follow_consent(url)
    code = urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "web-client.apps.googleusercontent.com",
        "client_secret": "s3cret",
        "code_verifier": "x" * 64,
    }
    wrong = requests.post(sandboxes.identity.token_uri, data=form, timeout=5)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    again = requests.post(
        sandboxes.identity.token_uri, data={**form, "code_verifier": web_flow.code_verifier}, timeout=5
    )
    assert again.json()["error"] == "invalid_grant"  # the failed attempt consumed the code


def test_consent_page_posts_back_a_code(sandboxes: GoogleSandboxes, web_flow: Flow) -> None:
    url, state = web_flow.authorization_url()
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and 'name="pending"' in page.text
    pending = page.text.split('name="pending" value="')[1].split('"')[0]
    reply = requests.post(
        sandboxes.identity.base_url + "/o/oauth2/approve",
        data={"pending": pending, "decision": "allow", "email": "founder@shop.test"},
        allow_redirects=False,
        timeout=5,
    )
    query = urllib.parse.parse_qs(urllib.parse.urlparse(reply.headers["Location"]).query)
    assert query["state"] == [state] and query["code"]


def test_redirect_uri_must_be_registered(sandboxes: GoogleSandboxes, web_flow: Flow) -> None:
    web_flow.redirect_uri = "http://evil.test/cb"
    url, _ = web_flow.authorization_url()
    reply = requests.get(url, timeout=5, allow_redirects=False)
    assert reply.status_code == 400 and "redirect_uri_mismatch" in reply.text


def test_minted_id_tokens_verify_like_googles(sandboxes: GoogleSandboxes, clock: FakeClock) -> None:
    ident = sandboxes.identity
    good = ident.mint_id_token(AUDIENCE, "packer@shop.test")
    claims = id_token.verify_token(good, Request(), audience=AUDIENCE, certs_url=ident.certs_url)
    assert claims["iss"] == "https://accounts.google.com" and claims["email_verified"] is True

    unverified = ident.mint_id_token(AUDIENCE, "packer@shop.test", email_verified=False)
    assert (
        id_token.verify_token(unverified, Request(), audience=AUDIENCE, certs_url=ident.certs_url)["email_verified"]
        is False
    )

    bad = {
        "expired": ident.mint_id_token(AUDIENCE, "a@shop.test", issued_at=clock.now() - 7200),
        "wrong audience": ident.mint_id_token("someone-else", "a@shop.test"),
        "unknown key": ident.mint_id_token(AUDIENCE, "a@shop.test", unknown_key=True),
    }
    for label, token in bad.items():
        with pytest.raises((ValueError, google.auth.exceptions.GoogleAuthError)):
            id_token.verify_token(token, Request(), audience=AUDIENCE, certs_url=ident.certs_url)
            pytest.fail(label)
    # verify_token checks signature, expiry and audience only: the issuer check is the caller's job
    # (verify_oauth2_token does it against Google's certs), so a wrong issuer comes back for inspection.
    wrong_issuer = ident.mint_id_token(AUDIENCE, "a@shop.test", issuer="https://evil.test")
    assert (
        id_token.verify_token(wrong_issuer, Request(), audience=AUDIENCE, certs_url=ident.certs_url)["iss"]
        == "https://evil.test"
    )


def test_key_rotation_keeps_old_tokens_verifiable(sandboxes: GoogleSandboxes) -> None:
    ident = sandboxes.identity
    before = ident.mint_id_token(AUDIENCE, "a@shop.test")
    ident.rotate_signing_key()
    after = ident.mint_id_token(AUDIENCE, "a@shop.test")
    for token in (before, after):
        assert id_token.verify_token(token, Request(), audience=AUDIENCE, certs_url=ident.certs_url)["aud"] == AUDIENCE


def test_discovery_document_and_jwks(sandboxes: GoogleSandboxes) -> None:
    config = requests.get(sandboxes.identity.base_url + "/.well-known/openid-configuration", timeout=5).json()
    assert config["issuer"] == "https://accounts.google.com"
    assert config["token_endpoint"] == sandboxes.identity.token_uri
    jwks = requests.get(config["jwks_uri"], timeout=5).json()
    pem = requests.get(sandboxes.identity.certs_url, timeout=5).json()
    assert {k["kid"] for k in jwks["keys"]} == set(pem)
    assert all(v.startswith("-----BEGIN CERTIFICATE-----") for v in pem.values())


def test_userinfo_and_revocation(sandboxes: GoogleSandboxes) -> None:
    token = sandboxes.identity.issue_access_token("founder@shop.test", ["openid"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        requests.get(sandboxes.identity.base_url + "/v1/userinfo", headers=headers, timeout=5).json()["email"]
        == "founder@shop.test"
    )
    assert requests.post(sandboxes.identity.base_url + "/revoke", data={"token": token}, timeout=5).status_code == 200
    assert sandboxes.identity.tokens.principal_for(token) is None

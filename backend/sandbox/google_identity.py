"""Local Google OAuth 2.0 + OIDC server, so google-auth and google-auth-oauthlib run their real code paths.

It verifies service-account JWT assertions (RS256 against the registered key, `aud` = token URI, a
short-lived `iat`/`exp` window), runs the authorization-code flow with PKCE, refreshes tokens, serves
signing certificates in both of Google's formats and mints ID tokens (good and deliberately bad ones).
It also plays Google Identity Services for web pages: `/gsi/client` is a stand-in for the client library
(`google.accounts.id.initialize`/`renderButton`), whose button opens an account chooser that hands an ID
token for the client back to the page, only when the page's origin is one the client registered.
Issued access tokens live in a `TokenRegistry` that the Sheets sandbox reads in-process.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, request

GOOGLE_ISSUER = "https://accounts.google.com"
# google-auth always signs for Google's token URI, whatever the key file's token_uri says; Google
# accepts these audiences, the sandbox also its own URI.
GOOGLE_TOKEN_AUDIENCES = frozenset(
    {
        "https://oauth2.googleapis.com/token",
        "https://accounts.google.com/o/oauth2/token",
        "https://www.googleapis.com/oauth2/v4/token",
    }
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 30


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock tests move by hand (quota windows, token expiry)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


@dataclass(frozen=True)
class Principal:
    """Who an access token speaks for; `client_id` is the OAuth client or service-account project."""

    email: str
    scopes: frozenset[str]
    expires_at: float
    client_id: str
    service_account: bool = False


class TokenRegistry:
    """Access tokens issued by the identity sandbox, shared in-process with the Sheets sandbox."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def issue(self, email: str, scopes: frozenset[str], client_id: str, lifetime: int, *, sa: bool) -> str:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        principal = Principal(email, scopes, self._clock.now() + lifetime, client_id, sa)
        with self._lock:
            self._tokens[token] = principal
        return token

    def principal_for(self, token: str) -> Principal | None:
        """The principal of a live token; None when unknown, revoked or expired."""
        with self._lock:
            principal = self._tokens.get(token)
        if principal is None or principal.expires_at <= self._clock.now():
            return None
        return principal

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._tokens.pop(token, None) is not None


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    certificate_pem: str


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    public_key: rsa.RSAPublicKey
    project_id: str


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    javascript_origins: list[str] = field(default_factory=list)  # pages that may sign in with this client


@dataclass
class SandboxUser:
    email: str
    name: str
    email_verified: bool = True
    sub: str = field(default_factory=lambda: str(secrets.randbelow(10**20) + 10**20))


@dataclass
class _Grant:
    """What an authorization code or refresh token stands for."""

    user: SandboxUser
    client_id: str
    scopes: list[str]
    redirect_uri: str = ""
    code_challenge: str | None = None
    challenge_method: str = "plain"
    offline: bool = False
    nonce: str | None = None
    expires_at: float = 0.0


class OAuthError(Exception):
    """An OAuth error response in Google's JSON shape."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _self_signed_pem(key: rsa.RSAPrivateKey, common_name: str) -> str:
    """An x509 certificate like those at Google's v1 certs endpoint (google-auth accepts certs or keys)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign_jwt(key: rsa.RSAPrivateKey, kid: str, payload: dict[str, Any]) -> str:
    """RS256 compact JWS, as Google signs ID tokens."""
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(payload).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64url(signature)


def _decode_jws(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, payload, signing input, signature) without verifying anything."""
    try:
        head, body, sig = token.split(".")
        header = json.loads(_b64url_decode(head))
        payload = json.loads(_b64url_decode(body))
        return header, payload, f"{head}.{body}".encode(), _b64url_decode(sig)
    except ValueError as exc:
        raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion.") from exc


class GoogleIdentity:
    """State and WSGI app of the OAuth/OIDC sandbox; call `bind(url)` once the server runs."""

    def __init__(self, clock: Clock | None = None, token_lifetime: int = 3600) -> None:
        self.clock: Clock = clock or SystemClock()
        self.tokens = TokenRegistry(self.clock)
        self.token_lifetime = token_lifetime
        self.base_url = "http://127.0.0.1"
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.users: dict[str, SandboxUser] = {}
        self.signing_keys: list[SigningKey] = [self._new_signing_key()]
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._pending: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self.app = self._build_app()

    # -- configuration -------------------------------------------------------------------------
    def bind(self, base_url: str) -> None:
        """Record where the server listens: token URI, certs URL and the `aud` of assertions follow."""
        self.base_url = base_url.rstrip("/")

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    @property
    def auth_uri(self) -> str:
        return self.base_url + "/o/oauth2/auth"

    @property
    def certs_url(self) -> str:
        """x509 PEM JSON (`{kid: cert}`), the format `id_token.verify_token(certs_url=...)` needs."""
        return self.base_url + "/oauth2/v1/certs"

    @property
    def jwks_url(self) -> str:
        return self.base_url + "/oauth2/v3/certs"

    def add_user(self, email: str, name: str = "", *, email_verified: bool = True) -> SandboxUser:
        user = SandboxUser(email=email, name=name or email.split("@", maxsplit=1)[0], email_verified=email_verified)
        self.users[email] = user
        return user

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], javascript_origins: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Register a web OAuth client; returns the client config `Flow.from_client_config` takes. Its
        authorized JavaScript origins default to the origins of its redirect URIs."""
        origins = javascript_origins if javascript_origins is not None else [_origin(u) for u in redirect_uris]
        self.clients[client_id] = OAuthClient(client_id, client_secret, list(redirect_uris), origins)
        return {
            "web": {
                "client_id": client_id,
                "client_secret": client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": list(redirect_uris),
            }
        }

    def create_service_account(self, email: str, project_id: str = "orderdeck-sandbox") -> dict[str, str]:
        """Register a service account with a fresh key; returns the key file's JSON content."""
        key = _new_rsa_key()
        key_id = secrets.token_hex(20)
        self.service_accounts[email] = ServiceAccount(email, key_id, key.public_key(), project_id)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**21)),
            "auth_uri": self.auth_uri,
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": self.certs_url,
            "universe_domain": "googleapis.com",
        }

    def write_service_account_key(self, path: Path | str, email: str, project_id: str = "orderdeck-sandbox") -> Path:
        """Write a key file `service_account.Credentials.from_service_account_file` exchanges here."""
        target = Path(path)
        target.write_text(json.dumps(self.create_service_account(email, project_id), indent=2))
        return target

    def issue_access_token(self, email: str, scopes: list[str], client_id: str = "sandbox") -> str:
        """A token for tests that skip the OAuth dance (e.g. acting as a spreadsheet user)."""
        return self.tokens.issue(email, frozenset(scopes), client_id, self.token_lifetime, sa=False)

    # -- ID tokens ----------------------------------------------------------------------------
    def rotate_signing_key(self) -> str:
        """Add a new current key; old keys stay published, like Google's overlapping rotation."""
        self.signing_keys.append(self._new_signing_key())
        return self.signing_keys[-1].kid

    def mint_id_token(
        self,
        audience: str,
        email: str,
        *,
        email_verified: bool = True,
        issuer: str = GOOGLE_ISSUER,
        lifetime: int = 3600,
        issued_at: float | None = None,
        unknown_key: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A Google-style ID token. Bad variants: `issued_at` in the past (expired), another
        `audience` or `issuer`, `email_verified=False`, or `unknown_key=True` (signed by a key not
        published at the certs URL)."""
        iat = int(self.clock.now() if issued_at is None else issued_at)
        user = self.users.get(email)
        payload: dict[str, Any] = {
            "iss": issuer,
            "azp": audience,
            "aud": audience,
            "sub": user.sub if user else hashlib.sha256(email.encode()).hexdigest()[:21],
            "email": email,
            "email_verified": email_verified,
            "iat": iat,
            "exp": iat + lifetime,
        }
        payload.update(extra or {})
        if unknown_key:
            return sign_jwt(_new_rsa_key(), self.signing_keys[-1].kid, payload)
        key = self.signing_keys[-1]
        return sign_jwt(key.private_key, key.kid, payload)

    # -- grants -------------------------------------------------------------------------------
    def _jwt_bearer(self, form: dict[str, str]) -> dict[str, Any]:
        header, claims, signing_input, signature = _decode_jws(form.get("assertion", ""))
        account = self.service_accounts.get(str(claims.get("iss", "")))
        if account is None:
            raise OAuthError("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid") != account.key_id:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            account.public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise OAuthError("invalid_grant", "Invalid JWT Signature.") from exc
        if claims.get("aud") not in {self.token_uri, *GOOGLE_TOKEN_AUDIENCES}:
            raise OAuthError("invalid_grant", "Invalid JWT: Failed audience check.")
        now = self.clock.now()
        iat, exp = float(claims.get("iat", 0)), float(claims.get("exp", 0))
        if not (iat - CLOCK_SKEW <= now < exp + CLOCK_SKEW and exp - iat <= MAX_ASSERTION_LIFETIME):
            raise OAuthError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.",
            )
        email = str(claims.get("sub") or account.email)
        if email != account.email:
            raise OAuthError(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, "
                "or client not authorized for any of the scopes requested.",
            )
        if "target_audience" in claims:
            return {"id_token": self._id_token_for(email, str(claims["target_audience"]))}
        scopes = str(claims.get("scope", "")).split()
        if not scopes:
            raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = self.tokens.issue(email, frozenset(scopes), account.project_id, self.token_lifetime, sa=True)
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _authorization_code(self, form: dict[str, str]) -> dict[str, Any]:
        client = self._client(form)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client.client_id or grant.expires_at <= self.clock.now():
            raise OAuthError("invalid_grant", "Bad Request")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "Bad Request")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthError("invalid_request", "code_verifier or verifier is not needed.")
            digest = _b64url(hashlib.sha256(verifier.encode()).digest())
            expected = digest if grant.challenge_method == "S256" else verifier
            if not secrets.compare_digest(expected, grant.code_challenge):
                raise OAuthError("invalid_grant", "Invalid code verifier.")
        reply = self._user_tokens(grant)
        if grant.offline:
            refresh = "1//sandbox-" + secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = grant
            reply["refresh_token"] = refresh
        return reply

    def _refresh_token(self, form: dict[str, str]) -> dict[str, Any]:
        client = self._client(form)
        with self._lock:
            grant = self._refresh.get(form.get("refresh_token", ""))
        if grant is None or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        return self._user_tokens(grant)

    def _user_tokens(self, grant: _Grant) -> dict[str, Any]:
        token = self.tokens.issue(
            grant.user.email, frozenset(grant.scopes), grant.client_id, self.token_lifetime, sa=False
        )
        reply: dict[str, Any] = {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if "openid" in grant.scopes:
            reply["id_token"] = self._id_token_for(grant.user.email, grant.client_id, grant.nonce)
        return reply

    def _id_token_for(self, email: str, audience: str, nonce: str | None = None) -> str:
        user = self.users.get(email)
        verified = user.email_verified if user else True
        return self.mint_id_token(audience, email, email_verified=verified, extra={"nonce": nonce} if nonce else None)

    def _client(self, form: dict[str, str]) -> OAuthClient:
        """Client credentials from HTTP Basic (requests-oauthlib's default) or the form body."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            client_id, secret = auth.username or "", auth.password or ""
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            raise OAuthError("invalid_client", "Unauthorized", 401)
        return client

    # -- authorize page -----------------------------------------------------------------------
    def _authorize(self) -> Response:
        args = request.args.to_dict()
        client = self.clients.get(args.get("client_id", ""))
        if client is None:
            return _error_page("Error 401: invalid_client", "The OAuth client was not found.", 401)
        if args.get("redirect_uri") not in client.redirect_uris:
            return _error_page("Error 400: redirect_uri_mismatch", "redirect_uri does not match.", 400)
        if args.get("response_type") != "code" or not args.get("scope"):
            return _redirect_with(args, {"error": "invalid_request"})
        email = args.get("login_hint") or next(iter(self.users), "")
        if email not in self.users:
            return _error_page("Error 400: no sandbox user", "Add a user with add_user() first.", 400)
        pending = secrets.token_urlsafe(16)
        self._pending[pending] = {**args, "email": email}
        if args.get("sandbox_auto_approve") == "1":
            return self._approve(pending, approved=True)
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in args["scope"].split())
        users = "".join(
            f'<option value="{html.escape(u)}"{" selected" if u == email else ""}>{html.escape(u)}</option>'
            for u in self.users
        )
        page = (
            "<!doctype html><title>Sign in - Google Accounts (sandbox)</title>"
            f"<h1>{html.escape(client.client_id)} wants to access your Google Account</h1>"
            f'<form method="post" action="/o/oauth2/approve"><input type="hidden" name="pending" value="{pending}">'
            f'<label>Account <select name="email">{users}</select></label><ul>{scopes}</ul>'
            '<button name="decision" value="allow" id="allow">Allow</button> '
            '<button name="decision" value="deny" id="deny">Cancel</button></form>'
        )
        return Response(page, mimetype="text/html")

    def _approve(self, pending: str, *, approved: bool, email: str | None = None) -> Response:
        args = self._pending.pop(pending, None)
        if args is None:
            return _error_page("Error 400: invalid_request", "This consent request expired.", 400)
        if not approved:
            return _redirect_with(args, {"error": "access_denied"})
        user = self.users[email or args["email"]]
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                user=user,
                client_id=args["client_id"],
                scopes=args["scope"].split(),
                redirect_uri=args["redirect_uri"],
                code_challenge=args.get("code_challenge"),
                challenge_method=args.get("code_challenge_method", "plain"),
                offline=args.get("access_type") == "offline",
                nonce=args.get("nonce"),
                expires_at=self.clock.now() + 600,
            )
        return _redirect_with(args, {"code": code, "scope": args["scope"]})

    # -- Google Identity Services (sign-in on web pages) ----------------------------------------
    def _gsi_client(self) -> Response:
        script = GSI_CLIENT.replace("%BASE%", json.dumps(self.base_url))
        return Response(script, mimetype="text/javascript")

    def _gsi_chooser(self, client_id: str, origin: str) -> Response:
        """Google's account chooser: refuses a client it does not know or a page origin the client did not list."""
        client = self.clients.get(client_id)
        if client is None:
            return _error_page("Error 401: invalid_client", "The OAuth client was not found.", 401)
        if origin not in client.javascript_origins:
            return _error_page(
                "Error 400: origin_mismatch", f"{origin} is not an authorized JavaScript origin of this client.", 400
            )
        if request.method == "GET":
            hidden = (
                f'<input type="hidden" name="client_id" value="{html.escape(client_id)}">'
                f'<input type="hidden" name="origin" value="{html.escape(origin)}">'
            )
            accounts = "".join(
                f'<li><button name="email" value="{html.escape(u)}">{html.escape(u)}</button></li>' for u in self.users
            )
            page = (
                "<!doctype html><title>Sign in with Google (sandbox)</title><h1>Choose an account</h1>"
                f'<p>to continue to {html.escape(origin)}</p><form method="post">{hidden}<ul>{accounts}</ul></form>'
            )
            return Response(page, mimetype="text/html")
        email = request.form.get("email", "")
        if email not in self.users:
            return _error_page("Error 400: no sandbox user", "Add a user with add_user() first.", 400)
        credential = self._id_token_for(email, client_id)
        # Hand the token to the opener page at exactly that origin, as GIS's popup does.
        script = f"window.opener.postMessage({{credential: {json.dumps(credential)}}}, {json.dumps(origin)});"
        body = f"<!doctype html><title>Signing in…</title><script>{script}window.close();</script>"
        return Response(body, mimetype="text/html")

    # -- WSGI ---------------------------------------------------------------------------------
    def _new_signing_key(self) -> SigningKey:
        key = _new_rsa_key()
        return SigningKey(secrets.token_hex(20), key, _self_signed_pem(key, "accounts.google.com"))

    def _build_app(self) -> Flask:
        app = Flask("google_identity_sandbox")
        grants = {
            JWT_BEARER: self._jwt_bearer,
            "authorization_code": self._authorization_code,
            "refresh_token": self._refresh_token,
        }

        @app.post("/token")
        def token() -> Response:
            form = request.form.to_dict()
            handler = grants.get(form.get("grant_type", ""))
            try:
                if handler is None:
                    raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
                return _json(handler(form))
            except OAuthError as exc:
                return _json({"error": exc.error, "error_description": exc.description}, exc.status)

        @app.get("/o/oauth2/auth")
        @app.get("/o/oauth2/v2/auth")
        def authorize() -> Response:
            return self._authorize()

        @app.post("/o/oauth2/approve")
        def approve() -> Response:
            form = request.form
            return self._approve(
                form.get("pending", ""), approved=form.get("decision") == "allow", email=form.get("email")
            )

        @app.get("/gsi/client")
        def gsi_client() -> Response:
            return self._gsi_client()

        @app.route("/gsi/select", methods=["GET", "POST"])
        def gsi_select() -> Response:
            return self._gsi_chooser(request.values.get("client_id", ""), request.values.get("origin", ""))

        @app.get("/.well-known/openid-configuration")
        def openid_configuration() -> Response:
            return _json(
                {
                    "issuer": GOOGLE_ISSUER,
                    "authorization_endpoint": self.auth_uri,
                    "token_endpoint": self.token_uri,
                    "userinfo_endpoint": self.base_url + "/v1/userinfo",
                    "revocation_endpoint": self.base_url + "/revoke",
                    "jwks_uri": self.jwks_url,
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "email", "profile"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                    "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "sub"],
                    "code_challenge_methods_supported": ["plain", "S256"],
                    "grant_types_supported": ["authorization_code", "refresh_token", JWT_BEARER],
                }
            )

        @app.get("/oauth2/v1/certs")
        def certs_pem() -> Response:
            return _json({k.kid: k.certificate_pem for k in self.signing_keys}, cache=True)

        @app.get("/oauth2/v3/certs")
        def certs_jwks() -> Response:
            return _json({"keys": [_jwk(k) for k in self.signing_keys]}, cache=True)

        @app.get("/v1/userinfo")
        @app.get("/oauth2/v3/userinfo")
        def userinfo() -> Response:
            auth = request.headers.get("Authorization", "")
            principal = self.tokens.principal_for(auth.removeprefix("Bearer ").strip())
            if principal is None:
                return _json({"error": "invalid_request", "error_description": "Invalid Credentials"}, 401)
            user = self.users.get(principal.email)
            return _json(
                {
                    "sub": user.sub if user else principal.email,
                    "email": principal.email,
                    "email_verified": user.email_verified if user else True,
                }
            )

        @app.post("/revoke")
        def revoke() -> Response:
            token = request.values.get("token", "")
            with self._lock:
                refreshed = self._refresh.pop(token, None) is not None
            if self.tokens.revoke(token) or refreshed:
                return _json({})
            return _json({"error": "invalid_token", "error_description": "Token expired or revoked"}, 400)

        return app


GSI_CLIENT = """// Google Identity Services as the sandbox plays it: google.accounts.id.initialize, renderButton.
(function () {
  var base = %BASE%;
  var options = null;
  window.addEventListener('message', function (event) {
    if (event.origin !== base || !options || !event.data || !event.data.credential) { return; }
    options.callback({ credential: event.data.credential, select_by: 'btn' });
  });
  function choose() {
    var url = base + '/gsi/select?client_id=' + encodeURIComponent(options.client_id)
      + '&origin=' + encodeURIComponent(window.location.origin);
    window.open(url, 'g_id_sandbox', 'width=420,height=560');
  }
  window.google = window.google || {};
  window.google.accounts = { id: {
    initialize: function (given) { options = given; },
    renderButton: function (parent) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'g_id_signin';
      button.textContent = 'Sign in with Google';
      button.onclick = choose;
      parent.appendChild(button);
    },
    prompt: function () {},
    disableAutoSelect: function () {}
  } };
})();
"""


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _jwk(key: SigningKey) -> dict[str, str]:
    numbers = key.private_key.public_key().public_numbers()

    def encode(n: int) -> str:
        return _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": key.kid, "n": encode(numbers.n), "e": encode(numbers.e)}


def _json(body: dict[str, Any], status: int = 200, *, cache: bool = False) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=19800" if cache else "no-cache, no-store"
    return response


def _redirect_with(args: dict[str, str], params: dict[str, str]) -> Response:
    if args.get("state"):
        params = {**params, "state": args["state"]}
    target = args["redirect_uri"]
    sep = "&" if "?" in target else "?"
    return Response(status=302, headers={"Location": target + sep + urllib.parse.urlencode(params)})


def _error_page(title: str, detail: str, status: int) -> Response:
    body = (
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
    )
    return Response(body, status=status, mimetype="text/html")

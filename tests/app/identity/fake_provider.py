"""A tiny OpenID Connect provider for the tests (no internet): discovery, JWKS, an authorize
endpoint that signs in whoever the test names, and a token endpoint issuing RS256 id_tokens.
Knobs for the failures the client must catch: a wrong nonce, another issuer."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "yaoxian-portal", "s3cret-for-tests"


class Provider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.identity: dict[str, Any] = {}
        self.wrong_nonce = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.issuer = ""
        self.app = self._app()

    def _app(self) -> Flask:
        app = Flask("fake_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(issuer=self.issuer, authorization_endpoint=f"{self.issuer}/authorize",
                           token_endpoint=f"{self.issuer}/token", jwks_uri=f"{self.issuer}/jwks",
                           response_types_supported=["code"], subject_types_supported=["public"],
                           id_token_signing_alg_values_supported=["RS256"])

        @app.get("/jwks")
        def jwks() -> Any:
            import json

            key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return jsonify(keys=[{**key, "kid": "k1", "use": "sig", "alg": "RS256"}])

        @app.get("/authorize")
        def authorize() -> Any:
            args = request.args
            assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
            code = secrets.token_urlsafe(12)
            self.codes[code] = {"nonce": args.get("nonce"), "claims": dict(self.identity)}
            query = urlencode({"code": code, "state": args["state"]})
            return redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/token")
        def token() -> Any:
            form = request.form
            grant = self.codes.pop(form.get("code", ""), None)
            secret_ok = (request.authorization and request.authorization.password == CLIENT_SECRET
                         ) or form.get("client_secret") == CLIENT_SECRET
            if grant is None or not secret_ok:
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            nonce = "not-the-one" if self.wrong_nonce else grant["nonce"]
            claims = {"iss": self.issuer, "sub": grant["claims"].get("sub", "someone"),
                      "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce,
                      **grant["claims"]}
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer",
                           expires_in=300, id_token=id_token)

        return app


@contextmanager
def running() -> Iterator[Provider]:
    provider = Provider()
    httpd = make_server("127.0.0.1", 0, provider.app, threaded=True)
    provider.issuer = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()

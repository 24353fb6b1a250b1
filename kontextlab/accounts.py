"""Account keys: a keyed hash of the API token, so history can be scoped without storing it.

The key secret comes from `KONTEXTLAB_ACCOUNT_SECRET`; a deployment that changes it no longer
sees the history recorded under the old secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os

SECRET_ENV = "KONTEXTLAB_ACCOUNT_SECRET"
# Public by design: without a configured secret the hash still hides the token from anyone
# reading the store, it just does not resist a brute force by someone who knows this constant.
DEFAULT_SECRET = b"kontextlab-account-key-v1"


def account_secret() -> bytes:
    """The HMAC key: the environment's secret, else the built-in constant."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    return configured.encode() if configured else DEFAULT_SECRET


def account_key(token: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 of the (stripped) token as 64 hex characters; the token is never kept."""
    key = account_secret() if secret is None else secret
    return hmac.new(key, token.strip().encode(), hashlib.sha256).hexdigest()

"""Secret tokens for links and sessions: random, and stored only as a hash.

A database leak then reveals no usable link. 32 random bytes (256 bits) from
`secrets`; SHA-256 is enough for hashing since the input is already random.
"""

import hashlib
import secrets


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

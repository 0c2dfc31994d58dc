"""Field encryption and keyed hashing, both derived from the one deployment secret (`settings.secret_key`).

Why two keys: a column that must be *found* by value (an e-mail, a national ID) cannot be searched while
it is encrypted with a random nonce, so it gets a second column holding an HMAC of the normalised value.
The encryption key and the hashing key are derived from the secret with HKDF under distinct `info`
labels, so that the hashes reveal nothing about the encryption key and vice versa, and so that another
domain deriving a key for its own use (with its own label) never collides with these.

Ciphertext format (bytes): `b"\\x01" || 12-byte nonce || AES-256-GCM(ciphertext || tag)`. The leading
version byte leaves room for key rotation: a later version can name a different key without breaking
what is stored. The optional `context` is bound as GCM associated data, so a ciphertext copied from one
column (say an e-mail) into another (a national ID) fails to decrypt instead of silently moving a value.

Nothing here knows about domains; callers pass the secret explicitly (it is injected, never global).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tillit.core.errors import TillitError

_VERSION = b"\x01"
_NONCE_BYTES = 12
_SALT = b"tillit/v1"
ENCRYPTION_INFO = b"tillit/field-encryption/v1"
HASHING_INFO = b"tillit/keyed-hash/v1"


class DecryptionError(TillitError):
    """A stored value could not be decrypted: wrong secret, corrupted bytes or a value moved between
    columns. Never carries the value itself."""

    code = "decryption_failed"
    http_status = 500


@lru_cache(maxsize=32)
def derive_key(secret: str, info: bytes, length: int = 32) -> bytes:
    """Derive a sub-key from the deployment secret; `info` names what the key is for.

    Cached because HKDF runs on every lookup and the inputs are few (one secret, a handful of labels).
    """
    if not secret:
        raise ValueError("an empty secret cannot derive keys")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info)
    return hkdf.derive(secret.encode("utf-8"))


class FieldCipher:
    """Encrypts short text values (identifiers, names) for storage in a binary column."""

    def __init__(self, secret: str, *, info: bytes = ENCRYPTION_INFO) -> None:
        self._aead = AESGCM(derive_key(secret, info))

    def encrypt(self, value: str, *, context: str = "") -> bytes:
        """Encrypt with a fresh random nonce: the same value encrypts differently every time."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return _VERSION + nonce + sealed

    def decrypt(self, token: bytes, *, context: str = "") -> str:
        """Decrypt what `encrypt` produced with the same secret and context, or raise DecryptionError."""
        if len(token) < 1 + _NONCE_BYTES + 16 or token[:1] != _VERSION:
            raise DecryptionError("stored value is not a tillit ciphertext (unknown version or truncated)")
        nonce, sealed = token[1 : 1 + _NONCE_BYTES], token[1 + _NONCE_BYTES :]
        try:
            clear = self._aead.decrypt(nonce, sealed, context.encode("utf-8"))
        except InvalidTag:
            raise DecryptionError(
                "stored value cannot be decrypted with this secret (wrong TILLIT_SECRET_KEY or tampered data)"
            ) from None
        return clear.decode("utf-8")


def keyed_hash(secret: str, kind: str, value: str, *, info: bytes = HASHING_INFO) -> str:
    """HMAC-SHA256 (hex, 64 characters) of `value` in the namespace `kind`.

    The kind is part of the message so that the same string as an e-mail and as a customer number
    hashes differently. Without the secret the hash cannot be recomputed, so a leaked table cannot be
    matched against a list of all national ID numbers (which would take seconds with a plain hash).
    Callers hash the *normalised* value so every spelling of one identity finds the same row.
    """
    message = kind.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(derive_key(secret, info), message, hashlib.sha256).hexdigest()

"""Field encryption and keyed hashing: what the stored bytes promise and refuse."""

from __future__ import annotations

import pytest

from tillit.core.crypto import (
    ENCRYPTION_INFO,
    HASHING_INFO,
    DecryptionError,
    FieldCipher,
    derive_key,
    keyed_hash,
)

SECRET = "unit-test-secret-0123456789abcdef"
OTHER = "another-secret-0123456789abcdefgh"


def test_round_trip_and_fresh_nonce_every_time() -> None:
    cipher = FieldCipher(SECRET)
    first = cipher.encrypt("15038510190", context="national_id")
    second = cipher.encrypt("15038510190", context="national_id")
    assert first != second
    assert b"15038510190" not in first
    assert cipher.decrypt(first, context="national_id") == "15038510190"
    assert cipher.decrypt(second, context="national_id") == "15038510190"


def test_wrong_secret_cannot_decrypt() -> None:
    token = FieldCipher(SECRET).encrypt("ola@example.com")
    with pytest.raises(DecryptionError) as excinfo:
        FieldCipher(OTHER).decrypt(token)
    assert "ola@example.com" not in str(excinfo.value)


def test_ciphertext_moved_to_another_context_fails() -> None:
    cipher = FieldCipher(SECRET)
    token = cipher.encrypt("ola@example.com", context="subject_identifier/email/s1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="subject_identifier/email/s2")


@pytest.mark.parametrize("token", [b"", b"\x02" + b"x" * 40, b"\x01short"])
def test_garbage_is_refused(token: bytes) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher(SECRET).decrypt(token)


def test_flipped_bit_is_detected() -> None:
    cipher = FieldCipher(SECRET)
    token = bytearray(cipher.encrypt("91234567"))
    token[-1] ^= 0x01
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(token))


def test_keyed_hash_is_deterministic_and_namespaced() -> None:
    value = "ola@example.com"
    digest = keyed_hash(SECRET, "email", value)
    assert digest == keyed_hash(SECRET, "email", value)
    assert len(digest) == 64
    assert digest != keyed_hash(SECRET, "customer_number", value)
    assert digest != keyed_hash(OTHER, "email", value)
    # No "kind + value" concatenation ambiguity: the separator keeps ("a", "b:c") apart from ("a:b", "c").
    assert keyed_hash(SECRET, "a", "bc") != keyed_hash(SECRET, "ab", "c")


def test_encryption_and_hashing_keys_are_distinct() -> None:
    assert derive_key(SECRET, ENCRYPTION_INFO) != derive_key(SECRET, HASHING_INFO)
    assert len(derive_key(SECRET, ENCRYPTION_INFO)) == 32


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty secret"):
        FieldCipher("")

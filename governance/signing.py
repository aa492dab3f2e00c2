"""Ed25519 keys and signatures for checkpoints: the deployment's key and election monitors' keys.

A public key travels as 64 hex digits (its 32 raw bytes), easy to paste in a chat or print on a page;
its *key id* is the first 16 hex digits of the SHA-256 of those bytes. A private key lives in a PEM file
(PKCS#8, readable by the owner only) and never leaves it: nothing here returns a private key's bytes
except ``write_private_key``, which writes the owner's own file.

The deployment's key is kept like the ballot secret (``bot.config.Settings.signing_key``): generated once
into a file beside it. A context without one (tests, a library caller) derives a key from the server
secret under a fixed label, so the same secret always signs with the same key (``derived_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from governance.errors import InvalidInput
from governance.i18n import _

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX128 = re.compile(r"^[0-9a-f]{128}$")
_DERIVE_LABEL = b"govbot deployment checkpoint key v1"


def generate() -> Ed25519PrivateKey:
    """A fresh private key from the operating system's random source."""
    return Ed25519PrivateKey.generate()


def derived_key(secret: bytes) -> Ed25519PrivateKey:
    """The key a deployment without a key file signs with: derived from its server secret (HMAC-SHA-256).

    Deterministic, so a restart signs with the same key; domain-separated from ballot tags, so the
    public key reveals nothing about the secret.
    """
    seed = hmac.new(secret, _DERIVE_LABEL, hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A key's public half as 64 hex digits."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(public: str) -> str:
    """The short name of a public key (hex): the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(bytes.fromhex(public)).hexdigest()[:16]


def parse_public(text: str) -> str:
    """A public key given as 64 hex digits (spaces and an ``ed25519:`` prefix allowed), normalised.

    Raises ``InvalidInput`` saying what a public key looks like.
    """
    value = "".join(text.split()).lower().removeprefix("ed25519:")
    if not _HEX64.match(value):
        raise InvalidInput(
            _("That is not an Ed25519 public key."),
            _("Give the 64 hexadecimal digits `govbot audit keygen` printed (the .pub file)."),
        )
    return value


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The signature of ``message`` as 128 hex digits."""
    return key.sign(message).hex()


def verify(public: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (hex) is ``public``'s signature of ``message``; False on any malformed input."""
    if not _HEX64.match(public or "") or not _HEX128.match(signature or ""):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(bytes.fromhex(signature), message)
    except InvalidSignature:
        return False
    return True


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """The PEM (PKCS#8, unencrypted) of a private key, for its owner's file only."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write a private key to a new file readable by its owner only (refuses to overwrite one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem(key))


def read_private_key(path: Path) -> Ed25519PrivateKey:
    """Load a private key from a PEM file; ``InvalidInput`` when it is not an Ed25519 private key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            _("{path} is not a PEM private key.", path=path),
            _("Give the .key file `govbot audit keygen` wrote."),
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(
            _("{path} is not an Ed25519 private key.", path=path),
            _("Give the .key file `govbot audit keygen` wrote."),
        )
    return key


def load_or_create(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The private key in ``path``, generated there first when the file does not exist; (key, created)."""
    if path.exists():
        return read_private_key(path), False
    key = generate()
    write_private_key(key, path)
    return key, True

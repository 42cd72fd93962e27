"""Keyed, irreversible client-IP hashes.

A plain or salted SHA-256 of an IPv4 address is reversed by hashing all 2^32
addresses once the salt is known; HMAC-SHA256 under a secret key is not,
as long as the key stays secret. So the key never leaves this module: it is
not printed, logged, returned or stored anywhere but its owner-only file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from wildchat_dagster.core.geo.client_ips import canonical_ip
from wildchat_dagster.core.storage.layout import DataLayout

MIN_KEY_LENGTH = 16  # bytes; a short key can be guessed


class InsecureKeyFileError(PermissionError):
    """The key file exists but others can read or write it."""


class IPHasher:
    """HMAC-SHA256 (hex) of canonical IPs under a secret key."""

    __slots__ = ("_key", "key_source")

    def __init__(self, key: bytes, key_source: str):
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"the IP-hash key must be at least {MIN_KEY_LENGTH} bytes long")
        self._key = key
        self.key_source = key_source

    def __call__(self, ip: str) -> str:
        # One spelling per address ("2001:DB8::0:1" and "2001:db8::1" hash alike); other strings are only stripped.
        return hmac.new(self._key, (canonical_ip(ip) or ip.strip()).encode(), hashlib.sha256).hexdigest()

    @property
    def key_id(self) -> str:
        """A short public tag of the key (an HMAC of a fixed label), so a reader can
        tell whether two runs' hashes are comparable without learning the key."""
        return hmac.new(self._key, b"wildchat-dagster key id", hashlib.sha256).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"IPHasher(key_source={self.key_source!r}, key_id={self.key_id!r})"

    __str__ = __repr__

    def __reduce__(self):
        # Pickling would write the key wherever the pickle goes.
        raise TypeError("IPHasher holds a secret key and cannot be pickled")


def key_file_path(data_dir: str | Path) -> Path:
    """The key file of a local data folder (see DataLayout.ip_hash_key)."""
    return DataLayout(data_dir).ip_hash_key


def load_ip_hasher(data_dir: str | Path, key: str | None = None, key_source: str = "the configured key") -> IPHasher:
    """The hasher for this data root: `key` (the setting WILDCHAT_IP_HASH_KEY) when given,
    else the key file, created on first use."""
    if key:
        return IPHasher(key.encode(), key_source=key_source)
    path = key_file_path(data_dir)
    if not path.exists():
        _create_key_file(path)
    return IPHasher(read_key_file(path), key_source=f"key file {path}")


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        # link() fails if another run created the key meanwhile: theirs wins, so
        # parallel month runs never end up with two keys.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_key_file(path: Path) -> bytes:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise InsecureKeyFileError(f"IP-hash key file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise InsecureKeyFileError(
            f"IP-hash key file {path} is accessible by other users (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run `chmod 600 {path}` if the key was not exposed, otherwise replace it "
            "(all hashed_ip values change) or set WILDCHAT_IP_HASH_KEY."
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise InsecureKeyFileError(f"IP-hash key file {path} belongs to another user")
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"IP-hash key file {path} does not hold a hex key") from None
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"IP-hash key file {path} holds a key shorter than {MIN_KEY_LENGTH} bytes")
    return key

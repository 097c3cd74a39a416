"""The secret that keys the audit chain's hashes, kept where the database is not.

Each audit event's hash is an HMAC-SHA256 under a key the database never holds, so someone who
can write to the database cannot recompute a chain that verifies. The key comes from:

- ``AUDIT_HMAC_KEY`` (config, ``TRIPLEDGER_AUDIT_HMAC_KEY`` or the plain environment variable):
  the current key, at least 32 characters; ``AUDIT_HMAC_OLD_KEYS`` (comma-separated) lists the
  keys it replaced. For several hosts sharing one database.
- otherwise the instance keyring ``instance/audit/keyring.json``, made owner-only (0600) on
  first use, like the app's other instance secrets. ``rotate`` adds a new current key there.

Every key a chain was ever made with stays in the keyring: each event stores the id of its
key (``key_id``, derived from the key, never the key), and old events verify with old keys.

The keyring file also holds ``legacy_until``: the last event made before the chain was keyed
(events from before the upgrade carry ``key_id = "legacy"`` and a plain SHA-256). It is fixed
when the file is made, outside the database, so an attacker cannot turn keyed events into
"legacy" ones to recompute them without the key. Lose the file and the keyed events no longer
verify: back it up with the database.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..models.audit import LEGACY_KEY_ID
from .errors import DomainError

__all__ = ["LEGACY_KEY_ID", "AuditKeyError", "Keyring", "key_id_of", "load", "rotate"]
FOLDER = "audit"
KEYRING_FILE = "keyring.json"
MIN_KEY_LENGTH = 32


class AuditKeyError(DomainError):
    code = "audit_key"
    status = 500


@dataclass(frozen=True)
class Keyring:
    """The keys that may have made events, by id, and the one new events are made with."""
    current_id: str
    keys: dict[str, bytes] = field(repr=False)
    #: Events up to this position may be unkeyed (made before the upgrade); none after it.
    legacy_until: int
    #: Where the current key comes from: "environment" or the keyring file's path.
    source: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def key_id_of(key: bytes) -> str:
    """A name for a key that says nothing about it (a one-way digest, domain-separated)."""
    return "k" + hashlib.sha256(b"tripledger audit key id\0" + key).hexdigest()[:15]


def keyring_path(instance_path: str) -> Path:
    return Path(instance_path) / FOLDER / KEYRING_FILE


_cache: dict[tuple, Keyring] = {}
_lock = threading.Lock()


def load(config, instance_path: str, *, legacy_events: Callable[[], int] = lambda: 0) -> Keyring:
    """The keyring, made on first use; ``legacy_events()`` gives the number of unkeyed events
    already in the chain (read only when the keyring file is made).

    :raises AuditKeyError: AUDIT_HMAC_KEY is too short, or the keyring file is unreadable
    """
    env_key, old_keys = _configured(config)
    path = keyring_path(instance_path)
    stamp = _stamp(path)
    if stamp is None:
        _create(path, legacy_events())
        stamp = _stamp(path)
    cache_key = (str(path), stamp, env_key, tuple(old_keys))
    with _lock:
        found = _cache.get(cache_key)
    if found is not None:
        return found
    stored = _read(path)
    keys = {kid: bytes.fromhex(hex_key) for kid, hex_key in stored["keys"].items()}
    for key in old_keys:
        keys[key_id_of(key)] = key
    if env_key is not None:
        current_id, source = key_id_of(env_key), "environment (AUDIT_HMAC_KEY)"
        keys[current_id] = env_key
    else:
        current_id, source = stored["current"], str(path)
    ring = Keyring(current_id, keys, int(stored["legacy_until"]), source)
    with _lock:
        _cache.clear()  # one live keyring per process is plenty
        _cache[cache_key] = ring
    return ring


def rotate(config, instance_path: str) -> tuple[str, str]:
    """Make a new current key in the instance keyring; the old one stays there, so the events
    it made still verify. Returns (old id, new id).

    :raises AuditKeyError: the key is configured (AUDIT_HMAC_KEY): it is rotated there
    """
    if _configured(config)[0] is not None:
        raise AuditKeyError(
            "The audit key comes from AUDIT_HMAC_KEY: rotate it there — set a new "
            "AUDIT_HMAC_KEY and add the old one to AUDIT_HMAC_OLD_KEYS (comma-separated), so "
            "the events it made still verify.")
    path = keyring_path(instance_path)
    if _stamp(path) is None:
        raise AuditKeyError(f"There is no audit keyring at {path} yet: it is made when the "
                            "first change is recorded (or by 'audit verify').")
    stored = _read(path)
    new_key = secrets.token_bytes(32)
    new_id = key_id_of(new_key)
    old_id = stored["current"]
    stored["keys"][new_id] = new_key.hex()
    stored["current"] = new_id
    _write(path, stored, replace=True)
    return old_id, new_id


def _configured(config) -> tuple[bytes | None, list[bytes]]:
    """(the configured current key or None, the configured old keys)."""
    value = config.get("AUDIT_HMAC_KEY") or os.environ.get("AUDIT_HMAC_KEY") or None
    old = config.get("AUDIT_HMAC_OLD_KEYS") or os.environ.get("AUDIT_HMAC_OLD_KEYS") or ""
    parts = old.split(",") if isinstance(old, str) else list(old)
    old_keys = [str(part).strip() for part in parts if str(part).strip()]
    for key in ([str(value)] if value else []) + old_keys:
        if len(key) < MIN_KEY_LENGTH:
            raise AuditKeyError(
                f"An audit key (AUDIT_HMAC_KEY or AUDIT_HMAC_OLD_KEYS) is shorter than "
                f"{MIN_KEY_LENGTH} characters: use a random one, e.g. python -c 'import "
                "secrets; print(secrets.token_hex(32))'.")
    return (str(value).encode() if value else None), [key.encode() for key in old_keys]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


def _create(path: Path, legacy_until: int) -> None:
    """A new keyring with one key; if another process made one meanwhile, theirs stands."""
    key = secrets.token_bytes(32)
    _write(path, {"current": key_id_of(key), "keys": {key_id_of(key): key.hex()},
                  "legacy_until": int(legacy_until)}, replace=False)


def _write(path: Path, content: dict, *, replace: bool) -> None:
    """Write the file owner-only from its first byte; atomically, so no reader sees half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if replace:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if the file exists: the first keyring wins
            except FileExistsError:
                pass
    finally:
        temp.unlink(missing_ok=True)


def _read(path: Path) -> dict:
    try:
        stored = json.loads(path.read_text())
        if not (isinstance(stored.get("keys"), dict) and stored.get("current") in stored["keys"]
                and isinstance(stored.get("legacy_until"), int)):
            raise ValueError("keys, current or legacy_until missing")
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"The audit keyring {path} cannot be read ({exc}); restore it "
                            "from a backup.") from exc
    return stored

"""Secrets at rest: shop tokens, Google refresh tokens and Discord webhook URLs, sealed with Fernet.

The database only ever holds ciphertext. `SecretBox` can open values sealed under an older key
(ORDERDECK_OLD_ENCRYPTION_KEY) so `keys rotate` can re-seal them under the new one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from backend.config import ConfigError
from backend.errors import OrderDeckError

log = logging.getLogger(__name__)


class SecretUnreadable(OrderDeckError):
    """A stored secret cannot be opened with the configured keys."""

    code = "secret_unreadable"
    status = 500


def _fernet(key: str, name: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise ConfigError(
            f"{name} is not a valid Fernet key (32 url-safe base64-encoded bytes; "
            'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
        ) from None


class SecretBox:
    """Seal and open short secrets; the first key seals, every key opens."""

    def __init__(self, key: str, old_key: str | None = None) -> None:
        keys = [_fernet(key, "ORDERDECK_ENCRYPTION_KEY")]
        if old_key:
            keys.append(_fernet(old_key, "ORDERDECK_OLD_ENCRYPTION_KEY"))
        self._fernet = MultiFernet(keys)
        self._mac_key = hashlib.sha256(b"orderdeck-link-mac:" + key.encode()).digest()

    def mac(self, message: str) -> str:
        """A keyed digest for links that must not be guessed (a label link); a new key makes new links."""
        return hmac.new(self._mac_key, message.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with ORDERDECK_ENCRYPTION_KEY "
                "(was the key changed without `flask --app backend keys rotate`?)"
            ) from None

    def reseal(self, ciphertext: str) -> str:
        """Re-encrypt under the current key (used by `keys rotate`)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable("a stored secret matches neither the new nor the old key") from None


def local_key(instance_dir: Path) -> str:
    """The key for a laptop run without ORDERDECK_ENCRYPTION_KEY: made once, kept under instance/."""
    path = instance_dir / "encryption.key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key + "\n")
    path.chmod(0o600)
    log.warning("No ORDERDECK_ENCRYPTION_KEY set: generated a local key in %s (set the variable in production)", path)
    return key

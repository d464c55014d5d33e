"""bcrypt_hash keeps a hash that still matches its password (so a templated file does not change on every run),
makes a new one otherwise, and says what to install when the library is missing. The target's real bcrypt runs in
the monitoring scenario; here a stand-in with bcrypt's interface (random salt, checkpw raising on a non-hash)."""

import hashlib
import itertools

import pytest

from ansible_collections.hybridops.platform.plugins.modules import bcrypt_hash


class StandInBcrypt:
    """hashpw/checkpw/gensalt with bcrypt's behaviour that matters here: every salt differs."""

    def __init__(self):
        self.salts = (b"salt%04d" % n for n in itertools.count())
        self.hashed = 0

    def gensalt(self, rounds=12):
        return b"$2b$%02d$" % rounds + next(self.salts)

    def hashpw(self, secret, salt):
        self.hashed += 1
        return salt + b"$" + hashlib.sha256(salt + secret).hexdigest().encode()

    def checkpw(self, secret, hashed):
        if not hashed.startswith(b"$2b$"):
            raise ValueError("Invalid salt")
        return self.hashpw(secret, hashed.rsplit(b"$", 1)[0]) == hashed


@pytest.fixture
def lib(monkeypatch):
    fake = StandInBcrypt()
    monkeypatch.setattr(bcrypt_hash, "bcrypt", fake, raising=False)
    monkeypatch.setattr(bcrypt_hash, "HAS_BCRYPT", True)
    return fake


def test_a_matching_hash_is_kept(lib, run_module):
    first = run_module(bcrypt_hash, dict(password="web-password-1"), connection=False)
    assert first["changed"] is False and first["reused"] is False
    again = run_module(bcrypt_hash, dict(password="web-password-1", current_hash=first["hash"]), connection=False)
    assert again["hash"] == first["hash"] and again["reused"] is True


def test_a_new_password_or_no_hash_gets_a_new_hash(lib, run_module):
    first = run_module(bcrypt_hash, dict(password="web-password-1"), connection=False)
    changed = run_module(bcrypt_hash, dict(password="web-password-2", current_hash=first["hash"]), connection=False)
    assert changed["hash"] != first["hash"] and changed["reused"] is False
    # control: two fresh hashes of one password differ (random salt), which is why the current one is kept
    second = run_module(bcrypt_hash, dict(password="web-password-1"), connection=False)
    assert second["hash"] != first["hash"]


def test_a_value_that_is_not_a_bcrypt_hash_is_replaced(lib, run_module):
    result = run_module(bcrypt_hash, dict(password="web-password-1", current_hash="plain-text"), connection=False)
    assert result["reused"] is False and result["hash"].startswith("$2b$10$")


def test_check_mode_answers_the_same(lib, run_module):
    result = run_module(bcrypt_hash, dict(password="web-password-1", rounds=12), check=True, connection=False)
    assert result["changed"] is False and result["hash"].startswith("$2b$12$")


def test_rounds_out_of_range_are_refused(lib, run_module):
    result = run_module(bcrypt_hash, dict(password="web-password-1", rounds=3), connection=False)
    assert result["failed"] and "between 4 and 31" in result["msg"]
    assert lib.hashed == 0


def test_missing_library_names_the_package(monkeypatch, run_module):
    monkeypatch.setattr(bcrypt_hash, "HAS_BCRYPT", False)
    result = run_module(bcrypt_hash, dict(password="web-password-1"), connection=False)
    assert result["failed"] and "python3-bcrypt" in result["msg"]
    assert "web-password-1" not in str(result)

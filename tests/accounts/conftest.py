import pytest

from tests.processes import database_env, processes  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hashing the fixture users' passwords with PBKDF2 would dominate these tests' run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

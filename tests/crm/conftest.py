"""The page tests of the CRM use the same signed-in clients and small record as the UI tests."""

from tests.ui.conftest import client_for, fast_password_hashing, record  # noqa: F401

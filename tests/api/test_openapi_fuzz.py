"""Schemathesis against the app in-process (WSGI), as admin: every operation, a bounded number of generated
requests each (derandomized, so a run is repeatable), and no answer may be a server error, a status the
OpenAPI document does not declare, or a body that does not match the declared schema."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plumbline.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _failures_of(operation, headers: dict[str, str]) -> set[str]:
    found: set[str] = set()

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def run(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as group:  # collected rather than raised: no shrinking, every operation reported
            for failure in group.exceptions:
                found.add(f"{operation.label}: {failure.title}: {failure.message[:400]} [{case.path_parameters} "
                          f"{case.query} {str(case.body)[:200]}]")

    run()
    return found


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection after each request (Django's test client does not):
    on PostgreSQL that would end the test's transaction, so keep it open as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_every_operation_answers_as_documented(world, tokens, keep_connection):
    # given the app's own OpenAPI document and a world of records, as admin
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    # when each operation gets generated requests
    failures = []
    for result in schema.get_all_operations():
        failures += sorted(_failures_of(result.ok(), headers))
    # then none fails a check
    assert failures == [], "\n\n".join(failures)

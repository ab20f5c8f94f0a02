"""Schemathesis against the OpenAPI schema, for every operation, as every role: no 5xx,
and every documented answer matches the schema. A bounded number of examples keeps it in
`make test`; set FUZZ_EXAMPLES higher for a deeper run."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = ("officer", "supervisor", "analyst", "admin", "auditor")

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def in_test_transaction():
    """Serve requests in the test's transaction, as Django's test client does: the WSGI
    handler would otherwise close the connection at the end of each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users, in_test_transaction):
    return {role: Token.objects.get_or_create(user=users[role])[0].key for role in ROLES}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_fails_for_any_role(case, tokens):
    for role in ROLES:
        response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
        case.validate_response(response, checks=[not_a_server_error,
                                                 response_schema_conformance])

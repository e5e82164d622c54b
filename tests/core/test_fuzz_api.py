"""schemathesis over our own OpenAPI document: no 5xx and no response contradicting the schema.

Bounded for CI: every operation of ``/api/v1/openapi.json`` gets ``EXAMPLES`` schema-valid and
``EXAMPLES`` schema-invalid requests, generated deterministically (Hypothesis ``derandomize``, so
the same code fuzzes the same way every run), as an office user and as an ordinary enterprise
user, on SQLite and PostgreSQL, against a database that holds a published demand so list and
detail responses carry a real record. ``scripts/fuzz.sh`` runs the same
checks with far more examples (``SILIAN_FUZZ_EXAMPLES``).

Checks run on every response (schemathesis' own):
``not_a_server_error`` (no 5xx), ``status_code_conformance`` (the status is documented),
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``
(the body matches the documented schema for its status), and, for the invalid requests,
``negative_data_rejection`` (a request the schema forbids is refused with a 4xx, not accepted).

Deliberately not run here:
``positive_data_acceptance`` — schema-valid requests are legitimately refused by rules the
schema cannot express (unknown ids → 404, a role that may not act → 403, workflow states → 409,
cross-field rules → 422); ``ignored_auth`` / ``use_after_free`` /
``ensure_resource_availability`` — stateful, covered by the permission-matrix tests and too slow
for a bounded run; ``max_response_time`` — timings belong to ``bench/load.py``, not assertions.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable

from tests.support import Factory, api_headers

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("SILIAN_FUZZ_EXAMPLES", "10"))
REQUEST_TIMEOUT = 120
# Seconds the loader waits for the spec (the default 10 s failed once under CI load).
SCHEMA_TIMEOUT = 60
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
NEGATIVE_CHECK_NAMES = (*CHECK_NAMES, "negative_data_rejection")
SENT = [0]  # requests sent by this process, for the failure report


def _checks(names: tuple[str, ...]) -> list[Any]:
    from schemathesis import checks

    return [getattr(checks, name) for name in names]


def _seed_records(client: TestClient, owner: dict[str, str], office: dict[str, str]) -> None:
    """A published demand, so lists and details return a real record; the index built."""
    demand = client.post(
        "/api/v1/demands",
        json={"title": "模糊测试需求", "problem": "用于模糊测试的一条已发布技术需求描述。"},
        headers=owner,
    )
    assert demand.status_code in (200, 201), demand.text
    demand_id = demand.json()["id"]
    assert client.post(f"/api/v1/demands/{demand_id}/submit", headers=owner).status_code == 200
    assert client.post(f"/api/v1/demands/{demand_id}/approve", headers=office).status_code == 200
    # Build the matching index now: the first question builds it (tens of seconds when cold),
    # longer than a fuzzed request may take.
    warm = client.post("/api/v1/match", json={"text": "技术需求", "kind": "demand"}, headers=owner)
    assert warm.status_code == 200, warm.text


def _describe(failure: Any) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    lines = [x.strip() for x in str(getattr(failure, "message", failure)).splitlines() if x.strip()]
    return f"{title}: {' | '.join(lines[:3])}"[:300]


class _AsServed:
    """The app as uvicorn serves it: an unhandled exception is a 500 response, not a raise.

    Starlette's ServerErrorMiddleware has already answered 500 when it re-raises for the server
    to log; the exception is kept here so the report can say what broke.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


def _fuzz_operation(
    operation: Any,
    mode: Any,
    checks: list[Any],
    headers: dict[str, str],
    found: dict[str, int],
    served: _AsServed,
) -> None:
    """EXAMPLES deterministic cases of one operation in one mode; failures counted in found."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # Failures are collected, not raised: one run reports every operation's problems.
        SENT[0] += 1
        try:
            # Timings are bench/load.py's, not this test's: a request may take longer than
            # schemathesis' 10 s default on a loaded CI machine (the Word briefing renders charts).
            case.call_and_validate(headers=headers, checks=checks, timeout=REQUEST_TIMEOUT)
        except BaseExceptionGroup as group:
            for failure in group.exceptions:
                found[f"[{mode.value}] {_describe(failure)}"] += 1
        except AssertionError as failure:
            found[f"[{mode.value}] {_describe(failure)}"] += 1
        except Exception as exc:  # the request could not even be sent or read: report it too
            found[f"[{mode.value}] {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"] += 1
        for error in served.errors:
            found[f"[{mode.value}] unhandled exception (500): {error}"] += 1
        served.errors.clear()

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate (no parameters, or only ones every value of which is valid).
        if mode.value != "negative":
            raise


def _fuzz(app: Any, headers: dict[str, str]) -> dict[str, dict[str, int]]:
    """Failures per operation: {'GET /api/v1/x': {'<check title>: <first line>': count}}."""
    from schemathesis.generation import GenerationMode

    served = _AsServed(app)
    # The spec is built once and cached by the app; building it here keeps that work out of
    # the loader's timed request (CI runs two test processes on two cores, and the app's
    # background matching warm-up competes for the same interpreter).
    app.openapi()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", served, timeout=SCHEMA_TIMEOUT)
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode, names in (
            (GenerationMode.POSITIVE, CHECK_NAMES),
            (GenerationMode.NEGATIVE, NEGATIVE_CHECK_NAMES),
        ):
            _fuzz_operation(operation, mode, _checks(names), headers, found[label], served)
    return {op: dict(problems) for op, problems in found.items() if problems}


def _report(found: dict[str, dict[str, int]]) -> str:
    lines = [f"{SENT[0]} requests so far; {len(found)} operations with failures:"]
    for op in sorted(found):
        lines.append(f"  {op}")
        for problem, count in sorted(found[op].items()):
            lines.append(f"    {count:>3} × {problem}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["office", "enterprise"])
def test_openapi_fuzz_finds_no_server_error_and_no_schema_contradiction(
    app: Any, factory: Factory, role: str, db_url: str
) -> None:
    office = factory.user("office")
    enterprise = factory.user("enterprise")
    with TestClient(app) as client:
        office_headers = api_headers(client, office)
        enterprise_headers = api_headers(client, enterprise)
        _seed_records(client, enterprise_headers, office_headers)
    headers = office_headers if role == "office" else enterprise_headers
    before = SENT[0]
    found = _fuzz(app, headers)
    report = os.environ.get("SILIAN_FUZZ_REPORT")
    if report:  # scripts/fuzz.sh collects every run's failures as JSON lines
        with open(report, "a", encoding="utf-8") as fh:
            line = {"run": f"{db_url.split(':')[0]}-{role}", "requests": SENT[0] - before}
            fh.write(json.dumps({**line, "failures": found}, ensure_ascii=False) + "\n")
    assert not found, _report(found)

"""The API description tells the truth: schemathesis calls every operation of `/openapi.json`.

Each operation of the REST and the widget API is one test (so xdist spreads them), run on
every backend like the rest of the suite. Schemathesis sends the description's examples, its
coverage cases (every boundary, every missing or wrong-typed field, methods the path does not
serve, NUL and other control characters in strings) and then random requests, valid and
invalid, and checks each answer:

- no 5xx, ever (`not_a_server_error`);
- the status, the content type, the headers and the body are the ones the description
  declares for the operation (the four `*_conformance` checks);
- a request the description says is invalid is refused (`negative_data_rejection`), and one it
  says is valid is not refused as invalid (`positive_data_acceptance`: 422 would mean the
  schema is looser than the validator);
- a method the path does not serve answers 405 with `Allow` (`unsupported_method`);
- an operation that declares authentication refuses a call without it (`ignored_auth`).

Calls to `/api/...` carry an admin's API token; path ids and the ids inside bodies name seeded
objects half of the time (a brand, channel, schedule, message, ticket, conversation, delivery,
webhook), so that operations get past their 404s and do their work.

Two allowances, both narrow and named below: a valid request may be refused by a rule no JSON
Schema can state (a 422 with its own code or detail type: an id that names nothing, a start
after its end...), and the coverage phase is thinned where it only repeats itself (the same
condition schema at every level of the tree, 600 time zones), to keep the run short.

`OVERTURE_CONTRACT_EXAMPLES` raises the number of random requests per operation for a deeper
run (default 25; the coverage cases come on top of them); `OVERTURE_CONTRACT_RANDOM=1` draws
new ones on each run instead of the same ones.
"""

from __future__ import annotations

import collections
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import APIRouter
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData
from schemathesis.openapi.checks import RejectedPositiveData
from sqlalchemy import select

from overture.accounts.models import User
from overture.accounts.service import create_token
from overture.app import create_app
from overture.config import Settings
from overture.conversations.models import Ticket
from overture.deps import ApiAdmin
from overture.kit.ids import MAX_ID
from tests.conftest import TEST_SETTINGS, Caller, _make_user
from tests.widget.helpers import ORIGIN, Browser, new_id

EXAMPLES = int(os.environ.get("OVERTURE_CONTRACT_EXAMPLES", "25"))
# The same requests on every run (CI must not fail by luck), unless asked for new ones.
RANDOM = os.environ.get("OVERTURE_CONTRACT_RANDOM") == "1"


class World:
    """The running test's app, caller and seeded ids. Schemathesis (and its checks' probes)
    call this as their ASGI app; it has no lifespan of its own: the session's `app` fixture
    has already started the app's."""

    def __init__(self) -> None:
        self.app: Any = None
        self.admin: Caller | None = None
        self.ids: dict[str, Any] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")  # refused before any message: none is run
        assert self.app is not None, "only the contract test calls the app"
        await self.app(scope, receive, send)


def _description() -> dict[str, Any]:
    """The description as the app serves it. Building an app connects to nothing."""
    path = os.path.join(tempfile.gettempdir(), "overture-contract-description.db")
    settings = Settings(**TEST_SETTINGS, database_url=f"sqlite:///{path}")
    return create_app(settings).openapi()


CONFIG = schemathesis.Config.from_dict({
    "generation": {
        "mode": "all",  # valid and invalid requests
        "allow-x00": True,  # NUL inside strings
        "codec": "utf-8",  # any character, control characters included
        "max-examples": EXAMPLES,
    },
    "checks": {
        # A valid body can still be too large for the widget's 16 KiB: JSON Schema cannot
        # bound a body's bytes, so 413 is an acceptable answer to valid data.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "429"]},
    },
})
SCHEMA = schemathesis.openapi.from_dict(_description(), config=CONFIG)
WORLD = SCHEMA.app = World()


# -- the world the calls run in --------------------------------------------------------------


def _created(client, admin: Caller, path: str, body: dict) -> dict:
    r = client.post(path, json=body, headers=admin.headers)
    assert r.status_code == 201, (path, r.text)
    return r.json()


@pytest.fixture
def world(app, client, admin) -> Iterator[World]:
    """A brand, a channel, a schedule, a live and a draft message, a visitor who was shown
    the live one and replied (a conversation and its ticket), another user, another token, a
    webhook."""
    brand = _created(client, admin, "/api/v1/brands", {"name": "Acme"})
    schedule = _created(client, admin, "/api/v1/schedules", {
        "name": "Office", "timezone": "UTC",
        "intervals": [{"weekday": 0, "start": "09:00", "end": "17:00"}]})
    channel = _created(client, admin, "/api/v1/channels", {
        "brand_id": brand["id"], "name": "Shop", "schedule_id": schedule["id"],
        "allowed_origins": [ORIGIN]})
    live = _created(client, admin, "/api/v1/proactive-messages", {
        "name": "Hello", "channel_id": channel["id"], "message": "Can we help?",
        "frequency": "every_time", "tags": ["sales"],
        "response": {"type": "agent", "collect": [], "follow_up": "Thanks!"}})
    assert client.post(f"/api/v1/proactive-messages/{live['id']}/publish",
                       headers=admin.headers).status_code == 200
    draft = _created(client, admin, "/api/v1/proactive-messages", {"name": "Draft"})
    visitor = Browser(client, channel["key"])
    visitor.view()
    delivery_id = visitor.last["show"]["delivery_id"]
    conversation = client.post(f"/widget/v1/{channel['key']}/conversations", json={
        "visitor_id": visitor.visitor_id, "delivery_id": delivery_id,
        "client_id": new_id("c"), "message": "Hello"})
    assert conversation.status_code == 201, conversation.text
    conversation_id = conversation.json()["conversation_id"]
    with app.state.db.unit_of_work() as session:
        ticket_id = session.scalar(select(Ticket.id).where(
            Ticket.conversation_id == conversation_id))
    other = _make_user(app, "agent", "agent@example.test")
    webhook = _created(client, admin, "/api/v1/webhooks", {
        "url": "https://hooks.example.com/overture", "events": ["ticket.created"]})
    with app.state.db.unit_of_work() as session:  # a token to revoke: not the one calling
        spare, _secret = create_token(session, session.get(User, admin.id), "spare")
        spare_id = spare.id
    WORLD.app, WORLD.admin, WORLD.ids = app, admin, {
        "brand_id": brand["id"], "channel_id": channel["id"], "schedule_id": schedule["id"],
        "message_id": draft["id"], "ticket_id": ticket_id, "conversation_id": conversation_id,
        "channel_key": channel["key"], "visitor_id": visitor.visitor_id,
        "delivery_id": delivery_id, "page_view_id": visitor.last["page_view_id"],
        "user_id": other.id, "assignee_id": other.id, "token_id": spare_id, "tag": "sales",
        "webhook_id": webhook["id"],
    }
    yield WORLD
    WORLD.__init__()


@SCHEMA.hook
def flatmap_case(context, case):
    """Half of the time, a path id or an id in the body names a seeded object. Only in valid
    parts of the request: an invalid one stays as schemathesis made it."""
    ids, meta = WORLD.ids, case.meta

    def names(location: ParameterLocation, container: Any) -> list[str]:
        if not isinstance(container, dict) or (meta and meta.is_negative_at(location)):
            return []
        return [name for name in container if name in ids]

    places = [(container, name) for location, container in (
        (ParameterLocation.PATH, case.path_parameters), (ParameterLocation.QUERY, case.query),
        (ParameterLocation.BODY, case.body)) for name in names(location, container)]
    if not places:
        return st.just(case)

    def seeded(choices: tuple[bool, ...]) -> Any:
        for (container, name), chosen in zip(places, choices, strict=True):
            if chosen:
                container[name] = ids[name]
        return case

    return st.tuples(*[st.booleans()] * len(places)).map(seeded)


# The coverage phase tries every wrong type at every place of every schema, and every value of
# every enum: for the condition tree (the same member schema under `all` and `any`, at three
# levels) and the time zones (some 600) that is thousands of requests saying the same thing.
VALID_COVERAGE_CASES = 60  # per operation
_valid_coverage: collections.Counter[str] = collections.Counter()


@SCHEMA.hook
def filter_case(context, case):
    """Thin the coverage phase where it repeats itself: invalid members are tried under the
    top-level `all` only (not under `any`, nor in nested groups, whose members are the same
    schema); valid requests up to VALID_COVERAGE_CASES per operation."""
    data = case.meta.phase.data if case.meta else None
    if not isinstance(data, CoveragePhaseData):
        return True
    if case.meta.generation.mode.is_negative:
        where = data.location or ""
        return where.count("/items/") <= 1 and "/properties/any/items/" not in where
    _valid_coverage[case.operation.label] += 1
    return _valid_coverage[case.operation.label] <= VALID_COVERAGE_CASES


# Refusals of valid requests by rules no JSON Schema can state (what exists, what comes before
# what, across a whole tree); each is a 422 whose code, or whose every detail's type, says so.
BEYOND_SCHEMA_CODES = {
    "unknown_reference",  # a body names a brand, channel, schedule or user that doesn't exist
    "channel_kind",  # a proactive message on a channel that cannot carry one (social kinds)
    "other_brand",  # a channel's bot of another brand than the channel's
    "bad_cursor",  # a cursor this list did not give out
    "bad_range",  # stats: `from` after `to`, or more than two years
    "wrong_password",  # the current password is not right
    "bad_url",  # a webhook's URL that is no http(s) URL with a host, or carries a password
    "private_address",  # a webhook's URL on loopback or a private network
}
BEYOND_SCHEMA_TYPES = {
    "cross_field",  # start before end, last day after first, intervals that don't overlap
    "condition_tree_limit",  # 30 conditions in a rule at most; groups only with 3 or more
}


def _beyond_schema(response) -> bool:
    if response.status_code != 422:
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if error.get("code") in BEYOND_SCHEMA_CODES:
        return True
    details = error.get("details") or []
    return error.get("code") == "validation_error" and bool(details) and all(
        d.get("type") in BEYOND_SCHEMA_TYPES for d in details)


@SCHEMA.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a valid request refused by a rule beyond any schema."""
    return not (isinstance(failure, RejectedPositiveData) and _beyond_schema(response))


@SCHEMA.parametrize()
@hypothesis.settings(deadline=None, database=None, derandomize=not RANDOM,
                     suppress_health_check=list(HealthCheck))
def test_operation_keeps_its_contract(case, world):
    assert world.admin is not None
    headers = world.admin.headers if case.path.startswith("/api/") else {}
    case.call_and_validate(headers=headers)


# -- the description itself ------------------------------------------------------------------


def test_an_id_route_lists_its_errors(app):
    responses = app.openapi()["paths"]["/api/v1/brands/{brand_id}"]["get"]["responses"]
    assert {"200", "401", "403", "404", "413", "422"} <= responses.keys()
    error = responses["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    invalid = responses["422"]["content"]["application/json"]["schema"]
    assert invalid == {"$ref": "#/components/schemas/ValidationFailed"}


def test_a_list_without_ids_has_no_404(app):
    responses = app.openapi()["paths"]["/api/v1/brands"]["get"]["responses"]
    assert "404" not in responses and "401" in responses


def test_the_widget_lists_rate_limits_with_retry_after(app):
    responses = app.openapi()["paths"]["/widget/v1/{channel_key}/page-views"]["post"][
        "responses"]
    assert {"400", "403", "404", "413", "422", "429"} <= responses.keys()
    assert "Retry-After" in responses["429"]["headers"]


def test_the_stats_route_lists_csv(app):
    responses = app.openapi()["paths"]["/api/v1/proactive-messages/{message_id}/stats"][
        "get"]["responses"]
    assert {"application/json", "text/csv"} <= responses["200"]["content"].keys()


def test_a_route_added_later_is_described_too():
    app = create_app(Settings(**TEST_SETTINGS, database_url="sqlite:///" + os.path.join(
        tempfile.gettempdir(), "overture-contract-late-route.db")))
    app.openapi()
    router = APIRouter()

    @router.patch("/api/v1/late/{late_id}")
    def late(late_id: int, user: ApiAdmin) -> dict:
        return {}

    app.include_router(router)
    responses = app.openapi()["paths"]["/api/v1/late/{late_id}"]["patch"]["responses"]
    assert {"401", "403", "404", "409", "413", "422"} <= responses.keys()


def test_an_error_answer_matches_the_described_shape(client, admin):
    r = client.get(f"/api/v1/brands/{MAX_ID}", headers=admin.headers)
    assert r.status_code == 404
    assert set(r.json()) == {"error"} and {"code", "message"} <= set(r.json()["error"])


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/api/v1/brands", "GET, POST"),
    ("POST", "/api/v1/brands/1", "DELETE, GET, PATCH"),
    ("DELETE", "/widget/v1/nokey/config", "GET, OPTIONS"),
])
def test_405_lists_every_method_of_the_path(client, method, path, allow):
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.json()["error"]["code"] == "http_error"


def test_a_channel_key_with_nul_is_unknown_on_every_database(client):
    r = client.get("/widget/v1/ab%00cd/config")
    assert r.status_code == 404 and r.json()["error"]["code"] == "channel_not_found"


def test_a_visitor_id_is_checked_as_described(client, world):
    key, conversation = world.ids["channel_key"], world.ids["conversation_id"]
    r = client.get(f"/widget/v1/{key}/conversations/{conversation}",
                   params={"visitor_id": "v\x00" * 10})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["query", "visitor_id"]

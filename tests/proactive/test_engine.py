"""`engine.decide` as a pure function: entries, the customer's state, the visit and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from overture.proactive.engine import Entry, VisitorState, decide
from overture.proactive.rules import ConditionTree, VisitContext, compile_tree
from overture.schedules.models import hours_from

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, noon in São Paulo
EVERYONE = {"all": []}
PRICING = {"all": [{"field": "page_url", "operator": "contains", "value": ["/pricing"]}]}


def entry(id: int, *, priority: int = 1, conditions: dict = EVERYONE, seconds: int = 0,
          frequency: str = "every_time", when: str = "any_time", hours=None) -> Entry:
    return Entry(id=id, version=1, priority=priority, published_at=NOW,
                 predicate=compile_tree(ConditionTree.model_validate(conditions)),
                 seconds=seconds, when=when, hours=hours, frequency=frequency,
                 message=f"m{id}", response={"type": "agent"}, tags=())


HOME = VisitContext(url="https://shop.example/")
PRICING_PAGE = VisitContext(url="https://shop.example/pricing")


def test_the_lowest_priority_that_matches_wins():
    entries = (entry(1, priority=1, conditions=PRICING), entry(2, priority=2))
    assert decide(entries, VisitorState(), HOME, 0, NOW).show.id == 2
    assert decide(entries, VisitorState(), PRICING_PAGE, 0, NOW).show.id == 1


def test_an_open_conversation_shows_nothing():
    assert decide((entry(1),), VisitorState(open_conversation=True), HOME, 0, NOW).show is None


def test_the_message_on_screen_comes_back_and_nothing_else():
    entries = (entry(1), entry(2, priority=0))
    d = decide(entries, VisitorState(on_screen=(77, 1)), HOME, 0, NOW)
    assert d.show.id == 1 and d.on_screen_delivery == 77
    # Its message is no longer live: nothing, not another message.
    assert decide((entry(2),), VisitorState(on_screen=(77, 1)), HOME, 0, NOW).show is None


def test_frequencies():
    reached = VisitorState(reached=frozenset({1}), closed_in_visit=frozenset({2}))
    entries = (entry(1, frequency="once_per_customer"), entry(2, frequency="once_per_visit"),
               entry(3, priority=9))
    assert decide(entries, reached, HOME, 0, NOW).show.id == 3
    assert decide(entries, reached.for_new_visit(), HOME, 0, NOW).show.id == 2


def test_on_page_moments_are_pending_until_reached():
    entries = (entry(1, seconds=30), entry(2, seconds=10, priority=2))
    d = decide(entries, VisitorState(), HOME, 0, NOW)
    assert d.show is None and d.pending == (10, 30)
    d = decide(entries, VisitorState(), HOME, 12, NOW)
    assert d.show.id == 2 and d.pending == (30,)
    assert decide(entries, VisitorState(), HOME, 30, NOW).show.id == 1


def test_business_hours_in_the_schedules_zone():
    office = hours_from("America/Sao_Paulo",
                        [{"weekday": 2, "start": "09:00", "end": "18:00"}], [])
    inside = entry(1, when="business_hours", hours=office)
    outside = entry(2, when="outside_business_hours", hours=office)
    assert decide((inside, outside), VisitorState(), HOME, 0, NOW).show.id == 1
    night = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 22:00 in São Paulo
    assert decide((inside, outside), VisitorState(), HOME, 0, night).show.id == 2
    # A schedule that is gone never holds.
    gone = entry(3, when="business_hours", hours=None)
    assert decide((gone,), VisitorState(), HOME, 0, NOW).show is None


def test_many_messages_waiting_for_one_moment_list_it_once():
    entries = (entry(1, seconds=30, conditions=PRICING), entry(2, seconds=30, priority=2),
               entry(3, seconds=30, priority=3), entry(4, priority=4))
    d = decide(entries, VisitorState(), HOME, 0, NOW)
    assert d.show.id == 4 and d.pending == (30,)
    assert decide(entries[:1], VisitorState(), HOME, 0, NOW).pending == ()
    assert decide(entries, VisitorState(), PRICING_PAGE, 31, NOW).show.id == 1

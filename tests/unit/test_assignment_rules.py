"""Who gets a new lead, as pure rules: conditions, strategies, weights, caps, working hours and time away."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from crm.assignment.rules import (
    Conditions,
    Lead,
    Load,
    Member,
    Rule,
    counted,
    matching_rules,
    pick,
    rotation,
    unassigned_reason,
    unavailable,
    window,
)
from crm.team.rules import away_reason
from crm.team.spec import MemberItem
from hypothesis import given
from hypothesis import strategies as st

TODAY = dt.date(2026, 12, 4)


def rule(strategy: str = "round_robin", *members: Member, turn: int = 0, **conditions: object) -> Rule:
    return Rule("r1", "Web leads", 1, strategy, members or (Member("a"), Member("b"), Member("c")),
                Conditions(**conditions), turn=turn)  # type: ignore[arg-type]


def run(chosen_rule: Rule, leads: int, loads: dict[str, Load] | None = None,
        away: dict[str, str | None] | None = None) -> list[str]:
    """Assigns `leads` one after another, as the store does: the turn moves on and loads grow."""
    loads, owners = dict(loads or {}), []
    for _ in range(leads):
        chosen = pick(chosen_rule, loads, away or {})
        if chosen is None:
            break
        owners.append(chosen.user_id)
        load = loads.get(chosen.user_id, Load())
        loads[chosen.user_id] = Load(load.today + 1, load.window + 1)
        if chosen.next_turn is not None:
            chosen_rule = Rule(**{**chosen_rule.__dict__, "turn": chosen.next_turn})
    return owners


def test_round_robin_takes_each_member_in_turn():
    assert run(rule(), 7) == ["a", "b", "c", "a", "b", "c", "a"]


def test_round_robin_skips_a_member_who_is_away_and_says_so():
    # Given b out of office
    away = {"b": "out of office until 2026-12-10T00:00:00Z"}
    # Then a and c share the leads, and b's reason is known
    assert run(rule(), 4, away=away) == ["a", "c", "a", "c"]
    assert unavailable(rule(), {}, away, frozenset()) == {"b": "out of office until 2026-12-10T00:00:00Z"}


def test_weighted_spreads_the_heavier_members_turns():
    weighted = rule("weighted", Member("a", weight=3), Member("b", weight=1))
    assert rotation(weighted.members) == (0, 1, 0, 0) or rotation(weighted.members) == (0, 0, 1, 0)
    assert Counter(run(weighted, 8)) == {"a": 6, "b": 2}


def test_a_weight_of_zero_gets_nothing():
    assert set(run(rule("weighted", Member("a", weight=0), Member("b", weight=2)), 5)) == {"b"}


def test_least_loaded_gives_the_lead_to_whoever_has_fewest_today():
    loads = {"a": Load(5, 40), "b": Load(2, 90), "c": Load(2, 10)}
    chosen = pick(rule("least_loaded"), loads, {})
    assert chosen is not None and chosen.user_id == "c" and chosen.next_turn is None
    assert chosen.reason == "by rule Web leads: least loaded, 3 today"


def test_daily_and_thirty_day_caps_stop_a_member():
    capped = rule("round_robin", Member("a", daily_cap=2), Member("b", monthly_cap=3))
    assert run(capped, 10, loads={"b": Load(0, 1)}) == ["a", "b", "a", "b"]
    assert unavailable(capped, {"a": Load(2, 2), "b": Load(0, 3)}, {}, frozenset()) == {
        "a": "daily cap 2 reached", "b": "30-day cap 3 reached"}


def test_the_reason_counts_the_lead_against_the_cap():
    chosen = pick(rule("round_robin", Member("a", daily_cap=20, monthly_cap=300)), {"a": Load(2, 50)}, {})
    assert chosen is not None
    assert chosen.reason == "by rule Web leads: round robin, 3 of 20 today, 51 of 300 in 30 days"


def test_an_excluded_member_is_never_picked():
    chosen = pick(rule(), {}, {}, exclude=frozenset({"a"}))
    assert chosen is not None and chosen.user_id == "b"
    assert pick(rule("round_robin", Member("a")), {}, {}, exclude=frozenset({"a"})) is None


def test_the_thirty_day_window_counts_today_and_the_29_days_before():
    days = {"2026-12-04": 2, "2026-11-05": 3, "2026-11-04": 7}
    assert window(days, TODAY) == Load(2, 5)
    assert counted(days, TODAY) == {"2026-12-04": 3, "2026-11-05": 3}


def test_rules_match_on_source_country_language_score_and_form():
    iranian = Lead(source="Website", countries=frozenset({"IR"}), language="fa", score=60, form_id="contact-us")
    assert matching_rules([rule(countries=("ir",), languages=("FA",), sources=("website",), min_score=50,
                                form_ids=("contact-us",))], iranian)
    assert not matching_rules([rule(countries=("RU",))], iranian)
    assert not matching_rules([rule(max_score=59)], iranian)
    assert not matching_rules([rule(min_score=1)], Lead())


def test_rules_are_tried_in_position_order_and_disabled_ones_never():
    later = Rule("r2", "Later", 2, "round_robin", (Member("x"),))
    first = Rule("r1", "First", 1, "round_robin", (Member("y"),))
    off = Rule("r0", "Off", 0, "round_robin", (Member("z"),), enabled=False)
    assert [r.rule_id for r in matching_rules([later, off, first], Lead())] == ["r1", "r2"]


def test_an_unassigned_lead_says_why():
    assert unassigned_reason({}) == "Not assigned: no assignment rule matches this contact"
    assert unassigned_reason({"Web leads": {"a": "daily cap 1 reached", "b": "not a working day (sat)"}}) == (
        "Not assigned: every member is away or full (rule Web leads: a daily cap 1 reached; b not a working day "
        "(sat))")


def test_working_hours_are_read_in_the_members_own_time_zone():
    tehran = MemberItem(user_id="a", time_zone="Asia/Tehran", working_days={"sat", "sun", "mon", "tue", "wed"},
                        work_starts="09:00", work_ends="17:00")
    # 06:00 UTC on a Saturday is 09:30 in Tehran: at work
    assert away_reason(tehran, dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)) is None
    # 14:00 UTC is 17:30 in Tehran: gone home; a Friday is not a working day
    assert away_reason(tehran, dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)).startswith("outside working hours")
    assert away_reason(tehran, dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)) == "not a working day (fri)"


members = st.lists(st.builds(Member, st.sampled_from("abcdefgh"), st.integers(0, 5),
                             st.none() | st.integers(0, 4), st.none() | st.integers(0, 8)),
                   min_size=1, max_size=6, unique_by=lambda m: m.user_id)


@given(members, st.sampled_from(("round_robin", "weighted", "least_loaded")), st.integers(0, 40),
       st.sets(st.sampled_from("abcdefgh")))
def test_no_strategy_ever_fills_a_member_past_their_caps_or_picks_one_away(team, strategy, leads, gone):
    # Given any members, caps and absences
    chosen_rule = Rule("r", "Any", 1, strategy, tuple(team))
    away = {user: "out of office" for user in gone}
    # When leads arrive one after another
    owners = Counter(run(chosen_rule, leads, away=away))
    # Then nobody away got one, and nobody got more than their daily or 30-day cap
    for member in team:
        given_to = owners[member.user_id]
        assert not (member.user_id in gone and given_to)
        assert member.daily_cap is None or given_to <= member.daily_cap
        assert member.monthly_cap is None or given_to <= member.monthly_cap
    # And the leads stop only when nobody can take one
    if sum(owners.values()) < leads:
        assert pick(chosen_rule, {u: Load(n, n) for u, n in owners.items()}, away) is None

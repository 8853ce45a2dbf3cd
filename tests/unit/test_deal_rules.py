"""A deal's and a pipeline's rules, without a table: where a write leaves a deal's stage, status,
probability and close, what a deal needs, and what a pipeline's stages may be."""

from __future__ import annotations

from typing import Any

import pytest
from crm.deals.rules import (
    built_in_pipeline,
    checked_pipeline,
    deal_problems,
    plan_stage,
    stage_probabilities,
    target_stage,
)
from crm.deals.spec import DealItem, PipelineItem
from crm.platform.errors import HttpError

NOW = "2026-11-24T09:30:00Z"
RENEWALS = PipelineItem(*PipelineItem.key("renewals"), pipeline_id="renewals", name="Renewals", version=1,
                        stages=[{"id": "demo", "name": "Demo", "probability": 30},
                                {"id": "contract", "name": "Contract", "probability": 80}])


def deal(**attributes: Any) -> DealItem:
    return DealItem(*DealItem.key("d1"), deal_id="d1", name="Licences", created_at=NOW, updated_at=NOW, version=1,
                    **{"pipeline_id": "default", "stage": "new", "status": "open", "probability": 10, **attributes})


def planned(submitted: dict[str, Any], existing: DealItem | None = None,
            pipeline: PipelineItem | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    pipeline = pipeline or built_in_pipeline()
    values = {"pipeline_id": pipeline.pipeline_id,
              **{k: v for k, v in submitted.items() if k not in ("stage", "status", "probability")}}
    problems: dict[str, str] = {}
    plan_stage(submitted, existing, pipeline, values, problems, NOW)
    return values, problems


def test_every_pipeline_ends_in_won_and_lost_after_its_own_stages():
    assert stage_probabilities(RENEWALS) == {"demo": 30, "contract": 80, "won": 100, "lost": 0}
    assert list(stage_probabilities(built_in_pipeline())) == ["new", "qualified", "proposal", "negotiation", "won",
                                                               "lost"]


def test_a_new_deal_opens_in_the_first_stage_with_its_probability():
    values, problems = planned({})
    assert problems == {}
    assert (values["stage"], values["status"], values["probability"]) == ("new", "open", 10)
    assert (values["close_reason"], values["closed_at"]) == (None, None)


def test_won_by_status_or_by_stage_closes_the_deal_now():
    for submitted in ({"status": "won"}, {"stage": "won"}):
        values, problems = planned(submitted, deal())
        assert problems == {}
        assert (values["stage"], values["status"], values["probability"], values["closed_at"]) == \
            ("won", "won", 100, NOW)


def test_lost_needs_a_reason_and_won_may_have_one():
    assert planned({"status": "lost"}, deal())[1] == {"close_reason": "Say why the deal was lost."}
    assert planned({"status": "lost", "close_reason": "Price"}, deal())[1] == {}
    assert planned({"status": "won", "close_reason": "Best fit"}, deal())[1] == {}


def test_an_open_deal_has_no_close_reason_and_reopening_clears_the_close():
    only_closed = {"close_reason": "Only a won or lost deal has a close reason."}
    assert planned({"close_reason": "early"}, None)[1] == only_closed
    lost = deal(stage="lost", status="lost", close_reason="Price", closed_at=NOW, probability=0)
    values, problems = planned({"status": "open"}, lost)
    assert problems == {}
    assert (values["stage"], values["status"], values["probability"]) == ("new", "open", 10)
    assert (values["close_reason"], values["closed_at"]) == (None, None)


def test_a_stage_and_a_status_that_disagree_are_refused():
    assert planned({"stage": "new", "status": "won"}, deal())[1] == {"status": "The stage new is open."}


def test_the_probability_is_the_stages_unless_the_caller_sets_one_and_a_closed_deals_is_fixed():
    assert planned({"stage": "proposal"}, deal())[0]["probability"] == 50
    assert planned({"probability": 65}, deal())[0]["probability"] == 65
    assert "probability" not in planned({"name": "Renamed"}, deal())[0]
    assert planned({"probability": None}, deal(probability=65))[0]["probability"] == 10
    won = deal(stage="won", status="won", probability=100, closed_at=NOW)
    assert planned({"probability": 50}, won)[1] == {"probability": "A closed deal's probability is its stage's."}


def test_an_unknown_stage_is_refused_naming_the_pipelines_stages():
    assert planned({"stage": "nowhere"})[1] == {"stage": "One of new, qualified, proposal, negotiation, won, lost."}


def test_a_deal_in_a_stage_since_removed_stays_there_until_it_is_moved():
    # Given a deal in a stage its pipeline no longer has / When it is renamed / Then it keeps that stage
    values, problems = planned({"name": "Renamed"}, deal(stage="retired"))
    assert problems == {}
    assert values["stage"] == "retired"


def test_an_open_deal_moved_to_another_pipeline_starts_at_its_first_stage_a_closed_one_stays_closed():
    values, problems = planned({"pipeline_id": "renewals"}, deal(stage="proposal", probability=50), RENEWALS)
    assert problems == {}
    assert (values["stage"], values["probability"]) == ("demo", 30)
    won = deal(stage="won", status="won", probability=100, closed_at=NOW)
    values, problems = planned({"pipeline_id": "renewals"}, won, RENEWALS)
    assert problems == {}
    assert (values["stage"], values["status"]) == ("won", "won")
    assert "closed_at" not in values


def test_the_target_stage_follows_the_write_then_the_status_then_where_the_deal_was():
    assert target_stage({"stage": "proposal", "status": "open"}, deal(), "new", False) == "proposal"
    assert target_stage({"status": "lost"}, deal(), "new", False) == "lost"
    assert target_stage({}, None, "new", False) == "new"
    assert target_stage({}, deal(stage="proposal"), "new", False) == "proposal"
    assert target_stage({"status": "open"}, deal(stage="proposal"), "new", False) == "proposal"
    assert target_stage({"status": "open"}, deal(stage="won", status="won"), "new", False) == "new"
    assert target_stage({}, deal(stage="proposal"), "demo", True) == "demo"


def test_a_deal_needs_a_name_and_an_amount_its_currency():
    assert deal_problems({}, None) == {"name": "A deal needs a name."}
    assert deal_problems({"name": "X", "amount_minor": 100}, None) == {"currency": "Give the currency of the amount."}
    assert deal_problems({"amount_minor": 100}, deal(currency="EUR")) == {}
    assert deal_problems({"name": None}, deal()) == {"name": "A deal needs a name."}
    assert deal_problems({"currency": None}, deal(amount_minor=5, currency="EUR")) == \
        {"currency": "Give the currency of the amount."}


def test_a_pipelines_name_and_stage_names_are_cleaned():
    values = checked_pipeline({"name": "  Renewals ", "stages": [{"id": "a", "name": " A\u0000 ", "probability": 5}]})
    assert values == {"name": "Renewals", "stages": [{"id": "a", "name": "A", "probability": 5}]}


@pytest.mark.parametrize(("submitted", "problems"), [
    ({"name": None, "stages": None}, {"name": "May not be cleared.", "stages": "May not be cleared."}),
    ({"name": " \u0000 "}, {"name": "Must not be empty."}),
    ({"stages": [{"id": "a", "name": "A", "probability": 5}, {"id": "a", "name": "B", "probability": 6}]},
     {"stages": "Stage ids must be distinct."}),
    ({"stages": [{"id": "won", "name": "Won", "probability": 100}]},
     {"stages": "won and lost are the closed stages every pipeline ends in; do not list them."}),
])
def test_a_pipeline_that_needs_attention_is_one_422_naming_every_field(submitted, problems):
    with pytest.raises(HttpError) as refused:
        checked_pipeline(submitted)
    assert (refused.value.status, refused.value.fields) == (422, problems)


def test_the_built_in_default_is_never_stored_and_has_four_open_stages():
    default = built_in_pipeline()
    assert (default.pipeline_id, default.version, default.is_default) == ("default", 0, True)
    assert [s["id"] for s in default.stages] == ["new", "qualified", "proposal", "negotiation"]

"""What each widget answers, as models: the API's OpenAPI document (and so the console's types) shows
every widget's shape. A widget's figures are the same for each period and for the total."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class FunnelFigures(BaseModel):
    created: int
    stages: dict[str, int]
    reached: dict[str, int]
    conversion: dict[str, float | None]
    new_mqls: int


class SourceRow(BaseModel):
    source: str
    campaign: str
    leads: int
    customers: int
    conversion: float | None


class LeadsFigures(BaseModel):
    sources: list[SourceRow]


class ClosedFigures(BaseModel):
    won: int
    lost: int
    win_rate: float | None
    won_value: dict[str, int]
    average_sales_cycle_days: float | None


class RepRow(BaseModel):
    owner: str
    call: int
    meeting: int
    task: int
    email: int


class ActivityFigures(BaseModel):
    reps: list[RepRow]


class CurrencyRow(BaseModel):
    currency: str
    payments: int
    paid_minor: int
    refunds: int
    refunded_minor: int
    net_minor: int


class RevenueFigures(BaseModel):
    currencies: list[CurrencyRow]


class ScoreBand(BaseModel):
    band: str
    contacts: int


class StageRow(BaseModel):
    stage: str
    open_deals: int
    open_value: dict[str, int]
    deals_left: int
    average_days_in_stage: float | None


class ForecastRow(BaseModel):
    month: str
    deals: int
    weighted_value: dict[str, int]


class Shown(BaseModel):
    """What every widget says of its periods: the zone, the grain and the local bounds it covers."""

    widget: str
    timezone: str
    grain: str
    starts_at: str
    ends_at: str


class FunnelPeriod(FunnelFigures):
    period: str


class Funnel(Shown):
    widget: Literal["funnel"]
    periods: list[FunnelPeriod]
    total: FunnelFigures


class LeadsPeriod(LeadsFigures):
    period: str


class Leads(Shown):
    widget: Literal["leads"]
    periods: list[LeadsPeriod]
    total: LeadsFigures


class DealsPeriod(ClosedFigures):
    period: str


class Deals(Shown):
    widget: Literal["deals"]
    periods: list[DealsPeriod]
    total: ClosedFigures


class ActivityPeriod(ActivityFigures):
    period: str


class Activity(Shown):
    widget: Literal["activity"]
    periods: list[ActivityPeriod]
    total: ActivityFigures


class RevenuePeriod(RevenueFigures):
    period: str


class Revenue(Shown):
    widget: Literal["revenue"]
    periods: list[RevenuePeriod]
    total: RevenueFigures


class Scores(Shown):
    widget: Literal["scores"]
    contacts: int
    score_bands: list[ScoreBand]
    stages: dict[str, int]


class Pipeline(Shown):
    widget: Literal["pipeline"]
    stages: list[StageRow]
    forecast: list[ForecastRow]


# Any widget, told apart by its `widget`.
AnyWidget = Annotated[Funnel | Leads | Scores | Pipeline | Deals | Activity | Revenue, Field(discriminator="widget")]

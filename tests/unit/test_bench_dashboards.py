"""The dashboards bench (bench/dashboards.py): every request the counters function makes is put down to the
stream record it was made for, and each widget call is counted on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def test_the_bench_puts_each_counters_request_down_to_its_record_and_counts_each_widget_call(aws):
    from bench.dashboards import WIDGETS, Counters, Writer, _per_record, widget_figures, write_year

    # Given three contacts' year written through the API: calls, a meeting, a task done, a deal won or lost
    now = datetime.now(UTC).replace(microsecond=0)
    writer = Writer()
    write_year(writer, 0, 3, now)
    assert writer.writes["contact"] == 3 and writer.writes["deal change"] == 4
    # When the table stream reaches the counters function
    counters = Counters(aws["settings"].table_name, aws["settings"].region)
    counters.catch_up()
    # Then every request it made belongs to one record: the read of what the record counted, then its transaction
    made = [calls for batch in counters.batches for _, calls in _per_record(batch)]
    assert len(made) >= 3 + 4 + 3
    assert all([call.name for call in calls] == ["dynamodb:GetItem", "dynamodb:TransactWriteItems"] for calls in made)
    # And each widget call is one request
    first_day = (now.date() - timedelta(days=364)).isoformat()
    figures = [f for f, _ in widget_figures(writer, 3, len(made), now.date().isoformat(), first_day, calls=1)]
    assert [f.widget for f in figures] == list(WIDGETS)
    assert all(sum(f.requests.values()) == 1 for f in figures)

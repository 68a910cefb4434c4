"""The shipped price table: exact costs, long-context tiers, name normalisation, unknown = None."""

from __future__ import annotations

import pytest

from memlab import prices


def test_cost_is_tokens_times_rates():
    # claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 / $6 cache write per million.
    cost = prices.compute_cost("claude-sonnet-4-5", input_tokens=1000, output_tokens=500,
                               cache_read_tokens=10_000, cache_write_tokens=2000, cache_write_1h_tokens=1000)
    assert cost == pytest.approx((1000 * 3 + 500 * 15 + 10_000 * 0.3 + 2000 * 3.75 + 1000 * 6) / 1e6)


def test_long_context_tier_applies_to_the_whole_request():
    small = prices.compute_cost("claude-sonnet-4-5", input_tokens=200_000, output_tokens=1000)
    large = prices.compute_cost("claude-sonnet-4-5", input_tokens=150_000, cache_read_tokens=60_000, output_tokens=1000)
    assert small == pytest.approx((200_000 * 3 + 1000 * 15) / 1e6)
    assert large == pytest.approx((150_000 * 6 + 60_000 * 0.6 + 1000 * 22.5) / 1e6)


def test_openai_cache_reads_are_discounted_and_writes_cost_input():
    cost = prices.compute_cost("gpt-4o", input_tokens=100, cache_read_tokens=1000, cache_write_tokens=10)
    assert cost == pytest.approx((100 * 2.5 + 1000 * 1.25 + 10 * 2.5) / 1e6)


@pytest.mark.parametrize("name", [
    "claude-sonnet-4-5-20250929", "anthropic/claude-sonnet-4-5", "CLAUDE-SONNET-4-5",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5@20250929",
])
def test_dated_and_prefixed_names_find_their_family(name):
    assert prices.price_for(name).model == "claude-sonnet-4-5"


def test_dated_openai_name():
    assert prices.price_for("gpt-4o-2024-08-06").model == "gpt-4o"
    assert prices.price_for("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"


@pytest.mark.parametrize("name", ["claude-sonnet-9", "gpt-6", "llama-3.1-70b", "<synthetic>", "claude"])
def test_unknown_models_are_unpriced_not_guessed(name):
    assert prices.price_for(name) is None
    assert prices.compute_cost(name, input_tokens=1000) is None


def test_table_says_where_prices_come_from():
    table = prices.shipped()
    assert "anthropic.com" in table.source and table.as_of
    assert {"anthropic", "openai", "google"} <= {p.provider for p in table.prices.values()}


def test_recorded_cost_uses_the_table(db):
    db.sessions.create("s1")
    cid = db.costs.record("s1", "claude-haiku-4-5-20251001", input_tokens=1_000_000, output_tokens=1_000_000)
    assert db.costs.get(cid)["cost_usd"] == pytest.approx(6.0)

"""Prices from genai-prices: exact costs, long-context tiers, each call as of its own day, name
normalisation, unknown = None."""

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


@pytest.mark.parametrize("name", ["claude-sonnet-9", "gpt-6", "mystery-local-7b", "<synthetic>", "claude"])
def test_unknown_models_are_unpriced_not_guessed(name):
    assert prices.price_for(name) is None
    assert prices.compute_cost(name, input_tokens=1000) is None


def test_prices_say_where_they_come_from():
    table = prices.current()
    assert table.source.startswith("genai-prices ") and table.as_of[:2] == "20"


def test_claude_opus_4_6_is_priced():
    # The most used model of the real transcripts, missing from memlab's old hand-kept table.
    assert prices.compute_cost("claude-opus-4-6", input_tokens=1000, output_tokens=100,
                               at="2026-04-01T00:00:00.000000Z") == pytest.approx((1000 * 5 + 100 * 25) / 1e6)


def test_a_call_is_priced_as_of_its_own_day():
    # genai-prices: claude-opus-4-6 charged a long-context tier above 200k prompt tokens until 2026-03-13.
    tokens = {"input_tokens": 250_000, "output_tokens": 1000}
    before = prices.compute_cost("claude-opus-4-6", at="2026-03-12T23:59:59.000000Z", **tokens)
    after = prices.compute_cost("claude-opus-4-6", at="2026-03-13T00:00:00.000000Z", **tokens)
    assert before == pytest.approx((250_000 * 10 + 1000 * 37.5) / 1e6)
    assert after == pytest.approx((250_000 * 5 + 1000 * 25) / 1e6)


def test_timestamps_with_an_offset_price_on_their_utc_day():
    tokens = {"input_tokens": 250_000}
    # 2026-03-13 01:00 at +02:00 is still 2026-03-12 in UTC: the older, tiered price.
    assert prices.compute_cost("claude-opus-4-6", at="2026-03-13T01:00:00+02:00", **tokens) == pytest.approx(2.5)


@pytest.mark.parametrize("name", ["claude-sonnet-4.5", "anthropic/claude-sonnet-4.5", "claude-3.5-haiku"])
def test_llm_anthropic_dotted_names_are_priced(name):
    assert prices.price_for(name) is not None


def test_stored_call_is_priced_as_of_created_at(db):
    db.sessions.create("s1")
    cid = db.costs.record("s1", "claude-opus-4-6", input_tokens=250_000, created_at="2026-02-01T10:00:00Z")
    assert db.costs.get(cid)["cost_usd"] == pytest.approx(2.5)


def test_recorded_cost_uses_the_table(db):
    db.sessions.create("s1")
    cid = db.costs.record("s1", "claude-haiku-4-5-20251001", input_tokens=1_000_000, output_tokens=1_000_000)
    assert db.costs.get(cid)["cost_usd"] == pytest.approx(6.0)

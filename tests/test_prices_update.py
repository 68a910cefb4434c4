"""memlab prices update/list/recompute: a user price table from LiteLLM's file, used over genai-prices."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from memlab import prices
from memlab.cli import cli
from memlab.errors import ValidationError

# A small copy of LiteLLM's model_prices_and_context_window.json, in its real field format.
LITELLM = {
    "sample_spec": {"max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
                    "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
                    "mode": "one of: chat, embedding, completion, image_generation, audio_transcription"},
    "claude-sonnet-4-5-20250929": {
        "max_input_tokens": 200000, "max_output_tokens": 64000,
        "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05,
        "cache_read_input_token_cost_above_200k_tokens": 6e-07,
        "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
        "litellm_provider": "anthropic", "mode": "chat", "supports_prompt_caching": True,
    },
    "claude-future-9": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
                        "cache_read_input_token_cost": 2e-07, "cache_creation_input_token_cost": 2.5e-06,
                        "litellm_provider": "anthropic", "mode": "chat"},
    "gpt-4o": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "cache_read_input_token_cost": 5e-07,
               "litellm_provider": "openai", "mode": "chat"},
    "gemini/gemini-2.5-pro": {"input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
                              "input_cost_per_token_above_200k_tokens": 2.5e-06,
                              "output_cost_per_token_above_200k_tokens": 1.5e-05,
                              "litellm_provider": "gemini", "mode": "chat"},
    "text-embedding-3-small": {"input_cost_per_token": 2e-08, "output_cost_per_token": 0.0,
                               "litellm_provider": "openai", "mode": "embedding"},
    "vertex_ai/gemini-2.5-flash": {"input_cost_per_token": 3e-07, "output_cost_per_token": 2.5e-06,
                                   "litellm_provider": "vertex_ai-language-models", "mode": "chat"},
    "bedrock/anthropic.claude-3-haiku": {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 1.25e-06,
                                         "litellm_provider": "bedrock", "mode": "chat"},
    "gpt-half-priced": {"input_cost_per_token": 1e-06, "litellm_provider": "openai", "mode": "chat"},
}


@pytest.fixture(autouse=True)
def user_table(tmp_path, monkeypatch):
    path = tmp_path / "config" / "prices.json"
    monkeypatch.setenv("MEMLAB_PRICES", str(path))
    return path


@pytest.fixture
def litellm_file(tmp_path):
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(LITELLM))
    return path


def test_keeps_only_chat_models_of_anthropic_openai_and_google(litellm_file, user_table):
    result = prices.update_from_litellm(litellm_file)
    stored = json.loads(user_table.read_text())["models"]
    assert set(stored) == {"claude-sonnet-4-5-20250929", "claude-future-9", "gpt-4o", "gemini-2.5-pro"}
    assert stored["gemini-2.5-pro"]["provider"] == "google" and result.models == 4


def test_per_token_rates_become_per_million_with_cache_and_long_context(litellm_file):
    prices.update_from_litellm(litellm_file)
    p = prices.price_for("claude-sonnet-4-5-20250929")
    assert (p.rates.input, p.rates.output, p.rates.cache_read, p.rates.cache_write_5m, p.rates.cache_write_1h) == \
        pytest.approx((3.0, 15.0, 0.3, 3.75, 6.0))
    assert p.long_context_threshold == 200_000
    assert (p.long_context.input, p.long_context.output, p.long_context.cache_write_5m) == pytest.approx((6.0, 22.5, 7.5))


def test_missing_cache_prices_fall_back_to_the_input_price(litellm_file):
    prices.update_from_litellm(litellm_file)
    r = prices.price_for("gemini-2.5-pro").rates
    assert r.cache_read == r.cache_write_5m == r.cache_write_1h == pytest.approx(1.25)


def test_user_table_is_used_over_genai_prices(litellm_file):
    assert prices.compute_cost("claude-future-9", input_tokens=1000) is None
    prices.update_from_litellm(litellm_file)
    assert prices.compute_cost("claude-future-9", input_tokens=1000) == pytest.approx(1000 * 2.0 / 1e6)
    assert prices.price_for("gpt-4o").rates.input == pytest.approx(2.0)  # LiteLLM's, not genai-prices' 2.5
    assert prices.price_for("o3") is not None  # still priced by genai-prices
    assert "user table" in prices.current().as_of


def test_update_reports_new_and_changed_models(litellm_file):
    result = prices.update_from_litellm(litellm_file)
    assert "claude-future-9" in result.added and "gpt-4o" in result.changed


def test_a_file_that_is_not_litellms_is_refused(tmp_path, user_table):
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValidationError, match="x.json"):
        prices.update_from_litellm(bad)
    assert not user_table.exists()


def test_recompute_prices_calls_stored_unpriced(db, litellm_file):
    db.sessions.create("s")
    cid = db.costs.record("s", "claude-future-9", input_tokens=1000, output_tokens=100)
    assert db.costs.get(cid)["cost_usd"] is None
    prices.update_from_litellm(litellm_file)
    assert db.costs.recompute() == {"examined": 1, "updated": 1, "unpriced": 0}
    assert db.costs.get(cid)["cost_usd"] == pytest.approx((1000 * 2.0 + 100 * 10.0) / 1e6)
    assert db.costs.recompute()["examined"] == 0


def test_recompute_all_rows_uses_new_prices_and_keeps_the_1_hour_split(db, litellm_file):
    db.sessions.create("s")
    cid = db.costs.record("s", "claude-sonnet-4-5-20250929", cache_write_tokens=3000, cache_write_1h_tokens=1000)
    other = db.costs.record("s", "gpt-4o", input_tokens=1000)
    before = db.costs.get(cid)["cost_usd"]
    prices.update_from_litellm(litellm_file)
    counts = db.costs.recompute(all_rows=True, model="claude-sonnet-4-5")
    assert counts["examined"] == 1
    assert db.costs.get(cid)["cost_usd"] == pytest.approx(before)  # same rates in both tables
    db.costs.recompute(all_rows=True, model="gpt-4o")
    assert db.costs.get(other)["cost_usd"] == pytest.approx(1000 * 2.0 / 1e6)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_update_list_and_recompute(tmp_path, litellm_file):
    result = run("prices", "update", "--from", str(litellm_file))
    assert result.exit_code == 0 and "wrote 4 models" in result.output
    listing = run("prices", "list", "--model", "sonnet-4-5-2025")
    [row] = [line.split() for line in listing.output.splitlines() if line.startswith("claude-sonnet-4-5-2025")]
    assert row == ["claude-sonnet-4-5-20250929", "anthropic", "3", "15", "0.3", "3.75", "6", ">200k:", "6", "/", "22.5",
                   "user", "table"]
    assert "LiteLLM" in listing.output and "genai-prices" in listing.output
    run("init", "--db", str(tmp_path / "m.db"))  # recompute reads an existing database only
    result = run("prices", "recompute", "--db", str(tmp_path / "m.db"))
    assert result.exit_code == 0 and "examined 0 calls" in result.output


def test_cli_update_error_is_one_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{")
    result = CliRunner().invoke(cli, ["prices", "update", "--from", str(bad)])
    assert result.exit_code == 1 and result.output.startswith("Error: cannot read 'x.json'")


def test_cli_list_shows_genai_prices_as_of_a_date(user_table):
    listing = run("prices", "list", "--provider", "anthropic", "--model", "opus-4-6", "--at", "2026-02-01")
    assert listing.output.startswith("source: genai-prices ") and "prices shown for 2026-02-01" in listing.output
    [row] = [line.split() for line in listing.output.splitlines() if line.startswith("claude-opus-4-6 ")]
    assert row[:4] == ["claude-opus-4-6", "anthropic", "5", "25"] and ">200k:" in row  # the tier it had then

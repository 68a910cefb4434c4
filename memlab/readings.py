"""One sentence reading each analytics frame, for the dashboard and ``memlab demo``.

Each function takes the DataFrame the ``db.analytics`` query of the same name returned and says
what stands out in it, computed from the frame, so the sentence stays true on anyone's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _pct(value: float) -> str:
    return f"{value:.0%}" if value >= 0.01 or value == 0 else f"{value:.1%}"


def _day(bucket) -> str:
    return bucket.strftime("%Y-%m-%d")


def cost_by_model(df: "pd.DataFrame") -> str:
    """Which model the money went to, and what is unpriced."""
    if df.empty:
        return "No model calls in this range."
    priced = df[df["cost_usd"].notna()]
    unpriced = df[df["unpriced_requests"] > 0]
    parts = []
    if not priced.empty:
        top = priced.loc[priced["cost_usd"].idxmax()]
        parts.append(
            f"{top['model']} took {_pct(top['share'])} of the {_usd(priced['cost_usd'].sum())} spent on priced "
            f"calls ({_usd(top['cost_usd'])} over {top['requests']:,} requests)"
        )
    if not unpriced.empty:
        names = ", ".join(unpriced["model"].astype(str))
        parts.append(f"{unpriced['unpriced_requests'].sum():,} calls to {names} have no price and are not in the total")
    return "; ".join(parts) + "."


def cost_over_time(df: "pd.DataFrame") -> str:
    """The costliest and the cheapest bucket."""
    if df.empty or df["cost_usd"].fillna(0).sum() == 0:
        return "No priced model calls in this range."
    totals = df.groupby("bucket")["cost_usd"].sum()
    high, low = totals.idxmax(), totals.idxmin()
    return (
        f"Spend peaked in the bucket starting {_day(high)} at {_usd(totals[high])}, against "
        f"{_usd(totals[low])} in the quietest (starting {_day(low)}) and {_usd(totals.mean())} on average."
    )


def activity_over_time(df: "pd.DataFrame") -> str:
    """The busiest bucket against the usual one."""
    if df.empty or df["messages"].sum() == 0:
        return "No sessions or messages in this range."
    busiest = df.loc[df["messages"].idxmax()]
    return (
        f"The busiest bucket started {_day(busiest['bucket'])}: {busiest['messages']:,} messages in "
        f"{busiest['sessions']:,} sessions from {busiest['active_users']:,} people, against a median of "
        f"{df['messages'].median():,.0f} messages."
    )


def session_activity(df: "pd.DataFrame") -> str:
    """How far the costliest session stands above the typical one."""
    costs = df["cost_usd"].dropna() if not df.empty else df.get("cost_usd")
    if costs is None or costs.empty or costs.max() == 0:
        return "No priced sessions in this range."
    top = df.loc[costs.idxmax()]
    return (
        f"The costliest of {len(df):,} sessions ({top['user_id']} on {top['project_id']}) cost "
        f"{_usd(top['cost_usd'])} over {top['messages']:,} messages, {top['cost_usd'] / costs.median():,.1f}x "
        f"the median session ({_usd(costs.median())})."
    )


def metric_percentiles(df: "pd.DataFrame") -> str:
    """Median and tail of each metric."""
    if df.empty:
        return "No memory metrics recorded in this range."
    tail = "p99" if "p99" in df.columns else df.columns[df.columns.str.match(r"p\d")][-1]
    parts = []
    for _, row in df.iterrows():
        unit = f" {row['unit']}" if isinstance(row["unit"], str) and row["unit"] else ""
        parts.append(f"{row['metric_name']} {row['p50']:,.1f}{unit} at the median, {row[tail]:,.1f}{unit} at {tail}")
    return "; ".join(parts) + "."


def agent_performance(df: "pd.DataFrame") -> str:
    """The busiest, the least reliable and the slowest agent."""
    if df.empty:
        return "No agent interactions in this range."
    busiest = df.loc[df["calls"].idxmax()]
    weakest = df.loc[df["success_rate"].idxmin()]
    slowest = df.loc[df["p50_duration_ms"].idxmax()]
    least = "it also" if weakest["agent_name"] == busiest["agent_name"] else weakest["agent_name"]
    return (
        f"{busiest['agent_name']} does the most work ({busiest['calls']:,} calls); {least} "
        f"succeeds least often ({_pct(weakest['success_rate'])}), and {slowest['agent_name']} is slowest at "
        f"{slowest['p50_duration_ms'] / 1000:,.1f} s median."
    )


def routing(df: "pd.DataFrame") -> str:
    """Where the router sends work, and how often it went past its top score."""
    if df.empty:
        return "No routing decisions in this range."
    total = df["decisions"].sum()
    top = df.loc[df["decisions"].idxmax()]
    judged = df["with_outcome"].sum()
    success = (df["success_rate"].fillna(0) * df["with_outcome"]).sum() / judged if judged else float("nan")
    overrides = df["top_not_chosen"].sum()
    return (
        f"{top['selected_agent']} gets {_pct(top['decisions'] / total)} of {total:,} decisions; "
        f"{_pct(success)} of judged outcomes succeeded, and the router picked an agent other than its "
        f"top-scored candidate {overrides:,} times ({_pct(overrides / total)})."
    )


def cache_efficiency(df: "pd.DataFrame") -> str:
    """How much of the input came from the prompt cache and what it saved."""
    if df.empty:
        return "No model calls in this range."
    prompt = (df["input_tokens"] + df["cache_read_tokens"] + df["cache_write_tokens"]).sum()
    ratio = df["cache_read_tokens"].sum() / prompt if prompt else 0.0
    best = df.loc[df["hit_ratio"].idxmax()]
    return (
        f"{_pct(ratio)} of all prompt tokens were read from a cache, saving {_usd(df['savings_usd'].sum())} "
        f"against full input prices; {best['model']} reuses most ({_pct(best['hit_ratio'])})."
    )

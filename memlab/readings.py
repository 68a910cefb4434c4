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


def _n(count: int, word: str) -> str:
    """``1 session``, ``2 sessions``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _day(bucket) -> str:
    return bucket.strftime("%Y-%m-%d")


def _grain(buckets) -> str:
    """What a bucket is (hour, day, week, month) from the gaps between the frame's buckets."""
    import pandas as pd

    gaps = pd.Series(sorted(set(buckets))).diff().dropna()
    if gaps.empty:
        return "period"
    hours = gaps.min().total_seconds() / 3600
    return "hour" if hours <= 1 else "day" if hours <= 25 else "week" if hours <= 24 * 7 else "month"


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
    """The costliest bucket against the typical one among those with priced calls.

    Buckets without calls (and partial first and last buckets) are not called the quietest:
    the median is taken over the buckets that had priced calls, and the count says how many.
    """
    if df.empty:
        return "No model calls in this range."
    grain = _grain(df["bucket"])
    unpriced = df[(df["requests"] > 0) & df["cost_usd"].isna()]
    note = ""
    if not unpriced.empty:
        group = [c for c in df.columns if c not in ("bucket", "requests", "tokens", "cost_usd")][0]
        names = ", ".join(dict.fromkeys(unpriced[group].astype(str)))
        calls = int(unpriced["requests"].sum())
        note = f" {_n(calls, 'call')} ({names}) {'has' if calls == 1 else 'have'} no price and {'is' if calls == 1 else 'are'} not counted."
    priced = df[df["cost_usd"].fillna(0) > 0]
    if priced.empty:
        return "No priced model calls in this range." + note
    totals = priced.groupby("bucket")["cost_usd"].sum()
    high = totals.idxmax()
    if len(totals) == 1:
        return f"All {_usd(totals[high])} of priced spend fell in the {grain} starting {_day(high)}." + note
    return (
        f"Spend peaked in the {grain} starting {_day(high)} at {_usd(totals[high])}, against a median of "
        f"{_usd(totals.median())} over the {len(totals):,} {grain}s with priced calls." + note
    )


def activity_over_time(df: "pd.DataFrame") -> str:
    """The busiest bucket against the typical active one."""
    if df.empty or df["messages"].sum() == 0:
        return "No sessions or messages in this range."
    grain = _grain(df["bucket"])
    active = df[df["messages"] > 0]
    busiest = active.loc[active["messages"].idxmax()]
    users = int(busiest["active_users"])
    people = "" if users == 0 else " from 1 person" if users == 1 else f" from {users:,} people"
    head = (f"{_n(int(busiest['messages']), 'message')} in {_n(int(busiest['sessions']), 'session')}{people}")
    if len(active) == 1:
        return f"All activity fell in the {grain} starting {_day(busiest['bucket'])}: {head}."
    return (
        f"The busiest {grain} {'was' if grain == 'day' else 'started'} {_day(busiest['bucket'])}: {head}, against a median of "
        f"{active['messages'].median():,.0f} messages over the {len(active):,} {grain}s with activity."
    )


def session_activity(df: "pd.DataFrame") -> str:
    """How far the costliest session stands above the typical one."""
    if df.empty:
        return "No sessions in this range."
    costs = df["cost_usd"].dropna()
    costs = costs[costs > 0]
    if costs.empty:
        return f"No priced sessions in this range ({_n(len(df), 'session')}, none with a priced model call)."
    top = df.loc[costs.idxmax()]
    who = " ".join(f"{word} {top[c]}" for word, c in (("of", "user_id"), ("on", "project_id"))
                   if isinstance(top[c], str) and top[c])
    name = f"the session {who}" if who else f"session {top['session_id']}"
    if len(costs) == 1:
        return (f"Of {_n(len(df), 'session')}, only {name} has priced calls: {_usd(top['cost_usd'])} over "
                f"{_n(int(top['messages']), 'message')}.")
    median = costs.median()
    return (
        f"The costliest of {_n(len(costs), 'priced session')}, {name}, cost {_usd(top['cost_usd'])} over "
        f"{_n(int(top['messages']), 'message')}, {top['cost_usd'] / median:,.1f}x the median priced session "
        f"({_usd(median)})."
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
    """The busiest, the least reliable and the slowest agent, each said only when it stands out."""
    if df.empty:
        return "No agent interactions in this range."
    if len(df) == 1:
        row = df.iloc[0]
        rate = "" if row["success_rate"] != row["success_rate"] else f", {_pct(row['success_rate'])} of them successful"
        speed = ("" if row["p50_duration_ms"] != row["p50_duration_ms"]
                 else f", {row['p50_duration_ms'] / 1000:,.1f} s median")
        return f"{row['agent_name']} is the only agent: {_n(int(row['calls']), 'call')}{rate}{speed}."
    busiest = df.loc[df["calls"].idxmax()]
    parts = [f"{busiest['agent_name']} does the most work ({_n(int(busiest['calls']), 'call')} of "
             f"{int(df['calls'].sum()):,})"]
    rates = df["success_rate"].dropna()
    if not rates.empty and rates.min() < rates.max():
        weakest = df.loc[rates.idxmin()]
        name = "it also" if weakest["agent_name"] == busiest["agent_name"] else weakest["agent_name"]
        parts.append(f"{name} succeeds least often ({_pct(weakest['success_rate'])} against "
                     f"{_pct(rates.max())} for the best)")
    elif not rates.empty:
        parts.append(f"every agent succeeds {_pct(rates.max())} of the time")
    durations = df["p50_duration_ms"].dropna()
    if len(durations) > 1 and durations.min() < durations.max():
        slowest = df.loc[durations.idxmax()]
        parts.append(f"{slowest['agent_name']} is slowest at {slowest['p50_duration_ms'] / 1000:,.1f} s median")
    return "; ".join(parts) + "."


def routing(df: "pd.DataFrame") -> str:
    """Where the router sends work, and how often it went past its top score."""
    if df.empty:
        return "No routing decisions in this range."
    total = int(df["decisions"].sum())
    top = df.loc[df["decisions"].idxmax()]
    judged = int(df["with_outcome"].sum())
    overrides = int(df["top_not_chosen"].sum())
    share = (f"All {_n(total, 'decision')} went to {top['selected_agent']}" if len(df) == 1
             else f"{top['selected_agent']} gets {_pct(top['decisions'] / total)} of {_n(total, 'decision')}")
    if judged:
        success = (df["success_rate"].fillna(0) * df["with_outcome"]).sum() / judged
        outcome = f"{_pct(success)} of the {_n(judged, 'judged outcome')} succeeded"
    else:
        outcome = "no outcome has been recorded yet"
    return (
        f"{share}; {outcome}, and the router picked an agent other than its top-scored "
        f"candidate {_n(overrides, 'time')} ({_pct(overrides / total)})."
    )


def cache_efficiency(df: "pd.DataFrame") -> str:
    """How much of the input came from the prompt cache and what it saved (priced models only)."""
    if df.empty:
        return "No model calls in this range."
    prompt = (df["input_tokens"] + df["cache_read_tokens"] + df["cache_write_tokens"]).sum()
    if not prompt:
        return "No prompt tokens recorded in this range."
    ratio = df["cache_read_tokens"].sum() / prompt
    saved = df["savings_usd"].dropna()
    savings = (f", saving {_usd(saved.sum())} against full input prices" if not saved.empty else "")
    unknown = df[df["savings_usd"].isna() & (df["cache_read_tokens"] > 0)]
    if not unknown.empty and savings:
        savings += f" ({', '.join(unknown['model'].astype(str))} unpriced, not counted)"
    text = f"{_pct(ratio)} of all prompt tokens were read from a cache{savings}"
    ratios = df["hit_ratio"].dropna()
    if len(ratios) > 1:
        best = df.loc[ratios.idxmax()]
        text += f"; {best['model']} reuses most ({_pct(best['hit_ratio'])})"
    return text + "."

"""Charts of the analytics frames: each takes the DataFrame a ``db.analytics`` query returned
and gives back a matplotlib Figure (nothing is shown or closed). An empty frame gives an empty
chart saying "no data". matplotlib is imported on first use.

    from memlab import plots
    plots.cost_over_time(db.analytics.cost_over_time(period="day"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

WIDTH = 8.0  # inches: readable at notebook width
_GROUPS = ("model", "agent", "user", "project")


def _figure(title: str, rows: int = 1, height: float = 4.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height * rows), layout="constrained")
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    fig.suptitle(title)
    return fig, axes


def _no_data(ax, xlabel: str, ylabel: str) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=14, color="0.5")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xticks([])
    ax.set_yticks([])


def _time_axis(ax, xlabel: str) -> None:
    ax.set_xlabel(xlabel)
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def _bucket_label(df: "pd.DataFrame") -> str:
    tz = getattr(df["bucket"].dt, "tz", None) if "bucket" in df else None
    return f"bucket start ({tz})" if tz is not None else "bucket start"


def cost_over_time(df: "pd.DataFrame") -> "Figure":
    """Cost per bucket stacked by group (the frame of ``cost_over_time``)."""
    group = next((c for c in _GROUPS if c in df.columns), "model")
    fig, (ax,) = _figure(f"Cost by {group} over time")
    if df.empty:
        _no_data(ax, "bucket start", "cost (USD)")
        return fig
    table = df.pivot_table(index="bucket", columns=df[group].fillna("(none)"), values="cost_usd",
                           aggfunc="sum", fill_value=0).sort_index()
    ax.stackplot(table.index, *(table[c].to_numpy() for c in table.columns), labels=[str(c) for c in table.columns])
    ax.set_ylabel("cost (USD)")
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    _time_axis(ax, _bucket_label(df))
    return fig


def cost_by_model(df: "pd.DataFrame") -> "Figure":
    """Priced cost per model, horizontal bars with the share of the total (``cost_by_model``)."""
    fig, (ax,) = _figure("Cost by model")
    if df.empty:
        _no_data(ax, "cost (USD)", "model")
        return fig
    totals = df.groupby("model")["cost_usd"].sum(min_count=1).fillna(0).sort_values()
    bars = ax.barh(totals.index.astype(str), totals.to_numpy())
    whole = totals.sum()
    if whole > 0:
        ax.bar_label(bars, labels=[f"{v / whole:.0%}" for v in totals], padding=3, fontsize="small")
    ax.set_xlabel("cost (USD)")
    ax.set_ylabel("model")
    return fig


def session_activity(df: "pd.DataFrame") -> "Figure":
    """Sessions, active users and messages per bucket (the frame of ``activity_over_time``)."""
    fig, (top, bottom) = _figure("Session activity over time", rows=2, height=3.0)
    if df.empty:
        _no_data(top, "bucket start", "count")
        _no_data(bottom, "bucket start", "messages")
        return fig
    top.plot(df["bucket"], df["sessions"], marker=".", label="sessions")
    top.plot(df["bucket"], df["active_users"], marker=".", label="active users")
    top.set_ylabel("count")
    top.legend(loc="upper left", fontsize="small")
    top.set_title("sessions and users", fontsize="medium")
    bottom.bar(df["bucket"], df["messages"], width=_bar_width(df["bucket"]), color="C2")
    bottom.set_ylabel("messages")
    bottom.set_title("messages", fontsize="medium")
    _time_axis(top, _bucket_label(df))
    _time_axis(bottom, _bucket_label(df))
    return fig


def _bar_width(buckets) -> float:
    """Bar width in days: 80% of the smallest gap between buckets."""
    if len(buckets) < 2:
        return 0.8
    gaps = buckets.sort_values().diff().dropna()
    return 0.8 * gaps.min().total_seconds() / 86_400


def _percentile_columns(df: "pd.DataFrame") -> list[str]:
    return [c for c in df.columns if c.startswith("p") and c[1:].replace(".", "", 1).isdigit()]


def metric_percentiles(df: "pd.DataFrame") -> "Figure":
    """Percentiles per metric: lines over time for a ``period=`` frame, bars without one."""
    names = [] if df.empty else sorted(df["metric_name"].unique())
    fig, axes = _figure("Metric percentiles", rows=max(1, len(names)), height=3.0)
    if df.empty:
        _no_data(axes[0], "metric", "value")
        return fig
    columns = _percentile_columns(df)
    for ax, name in zip(axes, names):
        rows = df[df["metric_name"] == name]
        unit = rows["unit"].dropna()
        ylabel = f"value ({unit.iloc[-1]})" if len(unit) else "value"
        if "bucket" in rows:
            rows = rows.groupby("bucket")[columns].mean() if "tag_value" in rows else rows.set_index("bucket")
            for column in columns:
                ax.plot(rows.index, rows[column], marker=".", label=column)
            _time_axis(ax, _bucket_label(df))
        else:
            labels = rows["tag_value"].fillna("(none)").astype(str) if "tag_value" in rows else [name] * len(rows)
            width = 0.8 / max(1, len(columns))
            for i, column in enumerate(columns):
                ax.bar([x + i * width for x in range(len(rows))], rows[column], width=width, label=column)
            ax.set_xticks([x + width * (len(columns) - 1) / 2 for x in range(len(rows))], list(labels))
            ax.set_xlabel("tag value" if "tag_value" in rows else "metric")
        ax.set_title(name, fontsize="medium")
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", fontsize="small", ncols=len(columns))
    return fig


def agent_performance(df: "pd.DataFrame") -> "Figure":
    """Success rate and p50/p95 duration per agent (``agent_performance``)."""
    fig, (rate, duration) = _figure("Agent performance", rows=2, height=3.0)
    if df.empty:
        _no_data(rate, "agent", "success rate (%)")
        _no_data(duration, "agent", "duration (s)")
        return fig
    agents = df["agent_name"].astype(str)
    rate.bar(agents, df["success_rate"] * 100, color="C2")
    rate.set_ylim(0, 100)
    rate.set_ylabel("success rate (%)")
    rate.set_xlabel("agent")
    x = range(len(df))
    duration.bar([i - 0.2 for i in x], df["p50_duration_ms"] / 1000, width=0.4, label="p50")
    duration.bar([i + 0.2 for i in x], df["p95_duration_ms"] / 1000, width=0.4, label="p95")
    duration.set_xticks(list(x), list(agents))
    duration.set_ylabel("duration (s)")
    duration.set_xlabel("agent")
    duration.legend(loc="upper left", fontsize="small")
    return fig


def routing(df: "pd.DataFrame") -> "Figure":
    """Decisions per selected agent, with how many went to someone other than the top candidate."""
    fig, (ax,) = _figure("Routing decisions by selected agent")
    if df.empty:
        _no_data(ax, "decisions", "selected agent")
        return fig
    agents = df["selected_agent"].astype(str)
    ax.barh(agents, df["decisions"], label="decisions")
    ax.barh(agents, df["top_not_chosen"], label="top candidate not chosen", color="C3")
    ax.set_xlabel("decisions")
    ax.set_ylabel("selected agent")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def cache_efficiency(df: "pd.DataFrame") -> "Figure":
    """Cache hit ratio per model: over time for a ``period=`` frame, bars without one."""
    fig, (ax,) = _figure("Prompt cache hit ratio")
    if df.empty:
        _no_data(ax, "model", "hit ratio (%)")
        return fig
    if "bucket" in df:
        for model, rows in df.groupby("model"):
            ax.plot(rows["bucket"], rows["hit_ratio"] * 100, marker=".", label=str(model))
        ax.legend(loc="lower left", fontsize="small", ncols=2)
        _time_axis(ax, _bucket_label(df))
    else:
        ax.bar(df["model"].astype(str), df["hit_ratio"] * 100)
        ax.set_xlabel("model")
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("hit ratio (%)")
    return fig

"""The dataset report: the statistics tables and plots as one HTML file and a Markdown file.

`index.html` is self-contained (CSS inline, plots as base64 PNG data URIs)
so it can be mailed or opened from anywhere; `report.md` links the same
PNGs saved beside it. Plots use matplotlib's object API on the Agg canvas
(no pyplot, no display).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from wildchat_dagster.core.reporting.statistics import OVERALL, UNKNOWN_STATE
from wildchat_dagster.core.reporting.tables import bar_chart, frame_html, frame_markdown
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes

TOP_ROWS = 15


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    table: pd.DataFrame
    plot: str | None = None


@dataclass(frozen=True)
class ReportFiles:
    index_html: Path
    report_md: Path
    plots: dict[str, Path]


# --- tables side by side -----------------------------------------------------


def side_by_side(df: pd.DataFrame, key: str | list[str], value: str = "share", top: int = TOP_ROWS,
                 in_key_order: bool = False) -> pd.DataFrame:
    """One row per `key`, one `value` column per month and overall: the `top` largest overall,
    largest first, or in the key's own order (`in_key_order`: rounds 1, 2, 3, ...)."""
    keys = [key] if isinstance(key, str) else key
    if df.empty:
        return pd.DataFrame(columns=[*keys, OVERALL])
    wide = df.pivot_table(index=keys, columns="month", values=value, aggfunc="sum", fill_value=0)
    months = sorted(c for c in wide.columns if c != OVERALL) + [OVERALL]
    wide = wide.reindex(columns=months).sort_values(OVERALL, ascending=False, kind="stable").head(top)
    if in_key_order:
        wide = wide.sort_index()
    wide.columns = [f"{m} share" if value == "share" else m for m in months]
    return wide.reset_index()


def overall(df: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    block = df[df["month"] == OVERALL].drop(columns="month")
    return block.head(top) if top else block


def known_states(states: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The known states (top rows, overall) with their share of all and of known states, and a note
    giving the known and the unknown share: GeoLite2 has no subdivision for many addresses."""
    block = overall(states)
    total = int(block["conversations"].sum())
    unknown = block["state"] == UNKNOWN_STATE
    known = block[~unknown].head(TOP_ROWS)
    known_total = int(block.loc[~unknown, "conversations"].sum())
    table = pd.DataFrame({
        "country": known["country"], "state": known["state"], "conversations": known["conversations"],
        "share_of_known_states": known["conversations"] / known_total if known_total else known["conversations"] * 0.0,
        "share_of_all": known["share"],
    })
    if not total:
        return table, "No conversation with a located country."
    note = (f"Of {total:,} conversations with a located country, the state (GeoLite2 subdivision) is known for "
            f"{known_total / total:.1%} and unknown for {(total - known_total) / total:.1%}; "
            "the table lists the known states, overall.")
    return table, note


def openai_categories_note(tables: dict[str, pd.DataFrame]) -> str:
    """Why the OpenAI category table is empty when it is."""
    moderation = overall(tables["moderation"])
    if moderation.empty or int(moderation["openai_scored"].sum()) == 0:
        return ("OpenAI moderation did not run for these months (no OPENAI_API_KEY, or no answer recorded): "
                "no category breakdown.")
    if overall(tables["flagged_categories"]).empty:
        return "OpenAI moderation ran and flagged no user utterance."
    return "Share of OpenAI-flagged user utterances in each category, overall."


def report_sections(tables: dict[str, pd.DataFrame]) -> list[Section]:
    """The report's sections in the paper's order, from `statistics.compute_statistics` tables."""
    rounds = tables["turn_distribution"].assign(turn=lambda d: d["turn"].astype(int)).rename(columns={"turn": "rounds"})
    states, states_note = known_states(tables["states"])
    return [
        Section("Table 1: basic statistics", "Per month and overall. Rounds are user-assistant exchanges (WildChat's "
                "`turn`); an utterance is one message. Users are distinct hashed IPs of user utterances; tokens are "
                "cl100k_base tokens (mean and standard deviation); languages are distinct languages of user "
                "utterances.", tables["summary"]),
        Section("Monthly volume", "Conversations per month in each split.", tables["summary"][
            ["month", "conversations", "nontoxic", "toxic", "unscreened", "rounds", "users"]], plot="monthly_volume"),
        Section("Rounds per conversation", "Share of conversations by number of user-assistant rounds.",
                side_by_side(rounds, "rounds", top=30, in_key_order=True), plot="turn_histogram"),
        Section("Models", "Share of conversations by model family and by model.",
                pd.concat([side_by_side(tables["model_families"], "family").rename(columns={"family": "model"}),
                           side_by_side(tables["models"], "model")], ignore_index=True), plot="model_shares"),
        Section("Table 5: languages", "Share of user utterances by detected language.",
                side_by_side(tables["languages"], "language"), plot="languages"),
        Section("Table 3: countries", "Share of conversations by country of the conversation's most common IP.",
                side_by_side(tables["countries"], "country"), plot="countries"),
        Section("Top states", states_note, states),
        Section("Table 6: moderation", "Share of user and assistant utterances flagged by each moderator "
                "(of the utterances it scored), by OpenAI or Detoxify, by both, by any moderator, and the pipeline's "
                "toxic decision. Released conversations only.", tables["moderation"]),
        Section("Screening coverage", "Share of non-empty user and assistant utterances each moderator screened, "
                "by language. A moderator scores only the languages it supports; unscreened utterances were judged "
                "by no moderator and count as non-toxic for want of a verdict.", tables["screening"]),
        Section("Flagged user utterances by OpenAI category", openai_categories_note(tables),
                overall(tables["flagged_categories"])),
        Section("Toxicity by month", "Released conversations, toxic ones, and conversations excluded from "
                "every release (sexual/minors).", tables["toxicity"], plot="monthly_toxicity"),
        Section("Redaction", "Conversations and utterances (single messages) with PII replaced.", tables["redaction"]),
        Section("Redacted entities", "Replacements by entity type, overall.", overall(tables["redacted_entities"])),
    ] + ([Section("Template prompts: largest clusters", "Near-duplicate user prompts (MinHash LSH over word 3-grams, "
                  "across all months): prompts per cluster, the months it appears in, and a redacted example "
                  "(none when every prompt of the cluster is named by a deletion request).",
                  tables["template_clusters"])] if "template_clusters" in tables else [])


# --- plots --------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _bars(title: str, labels: list[str], values: list[float], xlabel: str) -> bytes:
    fig = Figure(figsize=(7, max(2.0, 0.35 * len(labels) + 1)))
    ax = fig.subplots()
    ax.barh(labels[::-1], [100 * v for v in values[::-1]], color="#4C72B0")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    for y, v in enumerate(values[::-1]):
        ax.annotate(f"{100 * v:.1f}%", (100 * v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.margins(x=0.15)
    return _png(fig)


def _lines(title: str, months: list[str], series: dict[str, list[float]], ylabel: str, percent: bool = False) -> bytes:
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    for label, values in series.items():
        ax.plot(months, [100 * v if percent else v for v in values], marker="o", label=label)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def render_plots(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """PNG bytes of every plot, by name."""
    def top(name: str, key: str) -> pd.DataFrame:
        return overall(tables[name], TOP_ROWS)[[key, "share"]].fillna({key: "(unknown)"})

    languages, countries = top("languages", "language"), top("countries", "country")
    turns = overall(tables["turn_distribution"])
    monthly = tables["summary"][tables["summary"]["month"] != OVERALL]
    toxicity = tables["toxicity"][tables["toxicity"]["month"] != OVERALL]
    moderation = tables["moderation"][tables["moderation"]["month"] != OVERALL]
    user_moderation = moderation[moderation["role"] == "user"].set_index("month").reindex(toxicity["month"])
    families = overall(tables["model_families"])

    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    ax.bar(turns["turn"].astype(int), 100 * turns["share"], color="#55A868")
    ax.set_title("Rounds per conversation")
    ax.set_xlabel("user-assistant rounds")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("% of conversations")
    turn_png = _png(fig)

    fig = Figure(figsize=(7, 2.6))
    ax = fig.subplots()
    if families.empty:
        ax.text(0.5, 0.5, "no conversations", ha="center", va="center")
        ax.set_axis_off()
    else:
        labels = [f"{f} ({100 * s:.1f}%)" for f, s in zip(families["family"], families["share"], strict=True)]
        ax.pie(
            families["share"], labels=labels, colors=["#4C72B0", "#DD8452", "#8172B3"][: len(families)], startangle=90
        )
    ax.set_title("Model family share of conversations")
    models_png = _png(fig)

    return {
        "languages": _bars(
            "Languages (share of user utterances)",
            languages["language"].tolist(),
            languages["share"].tolist(),
            "% of user utterances",
        ),
        "countries": _bars(
            "Countries (share of conversations)",
            countries["country"].tolist(),
            countries["share"].tolist(),
            "% of conversations",
        ),
        "turn_histogram": turn_png,
        "model_shares": models_png,
        "monthly_volume": _lines(
            "Conversations per month",
            monthly["month"].tolist(),
            {
                "all": monthly["conversations"].tolist(),
                "non-toxic": monthly["nontoxic"].tolist(),
                "toxic": monthly["toxic"].tolist(),
            },
            "conversations",
        ),
        "monthly_toxicity": _lines(
            "Toxicity per month",
            toxicity["month"].tolist(),
            {
                "toxic conversations": toxicity["toxic_share"].tolist(),
                "user utterances flagged (OpenAI or Detoxify)": user_moderation["openai_or_detoxify_share"]
                .fillna(0)
                .tolist(),
                "user utterances flagged (any moderator)": user_moderation["any_moderator_share"].fillna(0).tolist(),
            },
            "%",
            percent=True,
        ),
    }


def text_charts(tables: dict[str, pd.DataFrame], max_chars: int | None = None) -> dict[str, str]:
    """The plots' figures as Markdown bar charts, by plot name: readable where images are not shown."""
    def shares(name: str, key: str) -> list[tuple[str, float]]:
        block = overall(tables[name], TOP_ROWS).fillna({key: UNKNOWN_STATE})
        return list(zip(block[key].astype(str), block["share"].fillna(0), strict=True))

    monthly = tables["summary"][tables["summary"]["month"] != OVERALL]
    toxicity = tables["toxicity"][tables["toxicity"]["month"] != OVERALL]
    rounds = overall(tables["turn_distribution"])
    return {
        "languages": bar_chart(("language", "user utterances"), shares("languages", "language"), max_chars=max_chars),
        "countries": bar_chart(("country", "conversations"), shares("countries", "country"), max_chars=max_chars),
        "turn_histogram": bar_chart(
            ("rounds", "conversations"),
            list(zip(rounds["turn"].astype(int).astype(str), rounds["share"], strict=True)),
            max_chars=max_chars,
        ),
        "model_shares": bar_chart(
            ("model family", "conversations"), shares("model_families", "family"), max_chars=max_chars
        ),
        "monthly_volume": bar_chart(
            ("month", "conversations"),
            list(zip(monthly["month"], monthly["conversations"], strict=True)),
            percent=False,
            max_chars=max_chars,
        ),
        "monthly_toxicity": bar_chart(
            ("month", "toxic conversations"),
            list(zip(toxicity["month"], toxicity["toxic_share"], strict=True)),
            max_chars=max_chars,
        ),
    }


# --- files ----------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem}th{background:#f3f3f3;text-align:center}
td.num{text-align:right}td{white-space:nowrap}.scroll{overflow-x:auto}
img{max-width:100%;display:block;margin:.5rem 0}
.note{color:#555;font-size:.9rem}"""


def write_report(
    tables: dict[str, pd.DataFrame],
    reports_dir: Path,
    *,
    tokenizer: str,
    facts: dict[str, str] | None = None,
    headline: str | None = None,
) -> ReportFiles:
    """Write index.html (self-contained), report.md and the PNGs into `reports_dir`; atomic per file.
    `headline`: a sentence under the title (what went unscreened)."""
    sections = report_sections(tables)
    plots = render_plots(tables)
    plot_paths = {}
    for name, png in plots.items():
        plot_paths[name] = reports_dir / f"{name}.png"
        atomic_write_bytes(plot_paths[name], png, shared=True)
    facts = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tokenizer": tokenizer,
        **(facts or {}),
    }
    title = "WildChat-style release: dataset report"

    lead = [headline, ""] if headline else []
    md = [f"# {title}", "", *lead, *[f"- **{k}**: {v}" for k, v in facts.items()], ""]
    body = [
        f"<h1>{html.escape(title)}</h1>",
        *([f"<p><b>{html.escape(headline)}</b></p>"] if headline else []),
        "<ul>"
        + "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in facts.items())
        + "</ul>",
    ]
    for s in sections:
        md += [f"## {s.title}", "", s.note, "", frame_markdown(s.table), ""]
        body += [f"<h2>{html.escape(s.title)}</h2>", f"<p class='note'>{html.escape(s.note)}</p>", frame_html(s.table)]
        if s.plot:
            md += [f"![{s.title}]({s.plot}.png)", ""]
            data = base64.b64encode(plots[s.plot]).decode("ascii")
            body.append(f"<img alt='{html.escape(s.title)}' src='data:image/png;base64,{data}'>")
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    index_html, report_md = reports_dir / "index.html", reports_dir / "report.md"
    atomic_write_bytes(index_html, page.encode("utf-8"), shared=True)
    atomic_write_bytes(report_md, "\n".join(md).encode("utf-8"), shared=True)
    return ReportFiles(index_html=index_html, report_md=report_md, plots=plot_paths)


def plots_markdown(plot_paths: dict[str, Path]) -> str:
    """The plots as Markdown with inline base64 images, for Dagster's metadata viewer."""
    return "\n\n".join(
        f"**{name}**\n\n![{name}](data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"
        for name, path in plot_paths.items()
    )

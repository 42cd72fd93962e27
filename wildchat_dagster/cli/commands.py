"""The `wildchat-dagster` command."""

from __future__ import annotations

import atexit
import importlib
import os
import sys
from pathlib import Path

import click

from wildchat_dagster.core.months import month_range
from wildchat_dagster.core.release.schemas import release_schema_names
from wildchat_dagster.core.storage.layout import DataLayout, is_remote
from wildchat_dagster.core.storage.warehouse import duckdb_readable
from wildchat_dagster.settings import END_MONTH_ENV, START_MONTH_ENV, Settings, SettingsError
from wildchat_dagster.stages import Stage


def _quiet_teardown() -> None:
    """DuckDB's nanobind bindings list dozens of 'leaked' objects as the interpreter tears down, after the
    command's summary: harmless (the process is ending) but it reads like a crash. Registered first, this
    runs after every other exit handler, once everything the command says has been said."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


atexit.register(_quiet_teardown)

# Benchmark -> default size (conversations for linking, texts for the others).
BENCHMARKS = {
    "pipeline": 2_000,
    "linking": 100_000,
    "explain": 240_000,
    "geo": 200_000,
    "language": 50_000,
    "pii": 2_000,
    "pii_fidelity": 400,
    "moderation": 200,
    "templates": 200_000,  # prompts per month (a WildChat-1M month)
    "shards": 2_000,
    "calibration": 10_000,
    "explore": 200_000,
}


def _months(spec: str) -> list[str]:
    try:
        return month_range(spec)
    except ValueError as error:
        raise click.BadParameter(f"{error} (a month is YYYY-MM, a range YYYY-MM:YYYY-MM)",
                                 param_hint="--months") from None


def _settings(**options: str | None) -> Settings:
    """The settings of this command: the environment's, its options winning (read once, passed on)."""
    try:
        return Settings.from_environ(**options)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _layout(data_dir: str | None) -> DataLayout:
    return _settings(data_dir=data_dir).layout


def _writable_data_dir(data_dir: str | None) -> DataLayout:
    """The data root of a command that writes there, refused in one line when it cannot take files."""
    from wildchat_dagster.cli.preflight import data_folder_problems

    layout = _layout(data_dir)
    problems = data_folder_problems(layout)
    if problems:
        raise click.ClickException("; ".join(problems))
    return layout


data_dir_option = click.option(
    "--data-dir",
    default=None,
    help=(
        "Data root: a folder or an object-store URL such as s3://bucket/prefix (default: $WILDCHAT_DATA_DIR or "
        "./data)."
    ),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wildchat-dagster")
def main() -> None:
    """Turn raw chatbot request logs into a WildChat-1M-shaped research release, with Dagster."""


@main.command()
@click.option("--months", required=True, help="Month or range, e.g. 2023-04:2023-06.")
@click.option("--conversations-per-month", default=2000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--short", is_flag=True, help="One-to-three-sentence messages (fast tests) instead of WildChat's lengths."
)
@data_dir_option
def generate(months: str, conversations_per_month: int, seed: int, short: bool, data_dir: str | None) -> None:
    """Write realistic synthetic request logs (and their ground truth) into landing/.

    Texts have WildChat-1M's lengths by default: user turns ~620 characters on
    average with a long tail of pasted documents and code, replies ~1,300.
    """
    from wildchat_dagster.kit.synthetic.generator import generate_landing

    layout = _layout(data_dir)
    if layout.remote:
        raise click.UsageError("generate writes to a local folder; copy its landing/ to the object store")
    layout = _writable_data_dir(data_dir)
    summary = generate_landing(layout.root, _months(months), conversations_per_month, seed, short=short)
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    click.echo(f"landing files: {layout.landing_dir}")


@main.command()
@click.option("--months", required=True, help="Month or range, e.g. 2023-04:2023-06.")
@click.option("--select", default=None, help="Comma-separated asset names (default: every asset).")
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Dagster console log level (the instance records every event regardless).",
)
@click.option("--allow-empty", is_flag=True, help="Materialize months without landing files as empty months.")
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Let a republished month hold fewer conversations than it last published, and publication leave out or "
         "shrink a month (deletion requests, a month withdrawn on purpose).",
)
@click.option(
    "--release-schema",
    type=click.Choice(tuple(release_schema_names())),
    default=None,
    help="Release schema (default: $WILDCHAT_RELEASE_SCHEMA or wildchat-1m).",
)
@click.option("--force", is_flag=True,
              help="Materialize every selected asset partition, also those that are up to date.")
@data_dir_option
def run(months: str, select: str | None, log_level: str, allow_empty: bool, allow_shrink: bool,
        release_schema: str | None, force: bool, data_dir: str | None) -> None:
    """Materialize the assets for these months through Dagster (runs show in the UI): only asset
    partitions that are missing or stale (new code version, changed upstream data, landing files,
    deletion requests or settings), unless --force."""
    from wildchat_dagster.cli.preflight import ConfigurationError
    from wildchat_dagster.cli.runner import RunInterrupted, RunRefused, ensure_dagster_home, run_months, stop_on_signals

    settings = _settings(data_dir=data_dir, release_schema=release_schema)
    layout = settings.layout
    selection = {s.strip() for s in select.split(",") if s.strip()} if select else None

    def report(outcome) -> None:
        status = "ok" if outcome.ok else "FAILED"
        if outcome.run_id == "not run" and outcome.ok:
            click.echo(f"== {outcome.label}: up to date, nothing run (fresh: {', '.join(outcome.fresh)})")
            return
        click.echo(f"== {outcome.label}: {status} (run {outcome.run_id[:8]})")
        for asset, values in outcome.materialized.items():  # pipeline order
            figures = ", ".join(f"{k}={v}" for k, v in values.items())
            why = f" [{outcome.due[asset]}]" if asset in outcome.due else ""
            click.echo(f"   {asset}" + (f": {figures}" if figures else "") + why)
        if outcome.fresh:
            click.echo(f"   skipped as fresh: {', '.join(outcome.fresh)}")
        for asset, check, blocking in outcome.failed_checks:
            click.echo(f"   check failed{' (blocking)' if blocking else ''}: {asset}.{check}")
        for step in outcome.failed_steps:
            click.echo(f"   step failed: {step}")

    try:
        with stop_on_signals():
            outcomes = run_months(
                _months(months), selection, layout, report=report, log_level=log_level.upper(),
                notify=lambda message: click.echo(message, err=True),
                allow_empty=allow_empty, allow_shrink=allow_shrink, force=force, settings=settings,
            )
    except (RunInterrupted, KeyboardInterrupt) as error:
        click.echo(str(error) if isinstance(error, RunInterrupted) else "interrupted between runs", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # The interrupted run's thread may still be inside a step: leave now, the run is recorded as canceled.
        os._exit(130)
    except (RunRefused, ConfigurationError) as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"warehouse: {layout.warehouse_dir}")
    _echo_published(layout)
    click.echo(f"catalog:   {layout.catalog}")
    click.echo(f"runs are recorded in DAGSTER_HOME={ensure_dagster_home(layout, settings)}")
    if not all(o.ok for o in outcomes):
        sys.exit(1)


def _echo_published(layout: DataLayout) -> None:
    """Where the release and report are; one line, never a traceback, when the store cannot be reached."""
    try:
        if layout.release_dir.is_dir():
            click.echo(f"release:   {layout.release_dir}")
        if (report_index := layout.report_file("index.html")).exists():
            click.echo(f"report:    {report_index}")
    except Exception as error:  # an unreachable object store: the runs above already said what happened
        click.echo(f"release:   {layout.release_dir} could not be read ({type(error).__name__}: "
                   f"{str(error).splitlines()[0][:200] if str(error) else 'no detail'})")


@main.command("import-release")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@data_dir_option
def import_release(files: tuple[str, ...], data_dir: str | None) -> None:
    """Turn published WildChat files (Parquet/JSONL, 1M or 4.8M schema) or the authors' proxy logs
    into request logs in landing/<month>/import-<file>.jsonl, to re-run the pipeline over them."""
    from wildchat_dagster.core.ingestion.import_release import SKIP_REASONS, import_files

    try:
        summary = import_files([Path(f) for f in files], _writable_data_dir(data_dir))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"rows read: {summary.rows}, conversations imported: {summary.conversations}")
    for month, logs in sorted(summary.logs_by_month.items()):
        click.echo(f"  {month}: {logs} request logs")
    for reason, count in summary.skipped.items():
        click.echo(f"  skipped {count}: {reason} ({SKIP_REASONS[reason]})")
    months = sorted(summary.logs_by_month)
    if months:
        click.echo(f"next: wildchat-dagster run --months {months[0]}:{months[-1]}")
    if empty := [record["source"] for record in summary.files if not record["logs_by_month"]]:
        raise click.ClickException(f"nothing imported from {', '.join(empty)}: every row was skipped (reasons above)")


DEMO_MARKER = ".wildchat-demo"  # in a demo's data folder: which demo made it
REAL_DEMO_DIR = "data-real"


def _demo_folder(layout: DataLayout, kind: str) -> None:
    """A demo writes only into an empty folder or one the same demo made: it never changes a user's data."""
    marker = layout.root / DEMO_MARKER
    made_by = marker.read_text().strip() if marker.exists() else None
    holds_data = any(folder.is_dir() and any(folder.iterdir())
                     for folder in (layout.landing_dir, layout.warehouse_dir, layout.release_dir))
    if holds_data and made_by != kind:
        other = f"the {made_by} demo's data" if made_by else "data that no demo made"
        raise click.ClickException(f"{layout.root} holds {other}; the {kind} demo leaves it alone: "
                                   "choose an empty folder with --data-dir")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(kind + "\n")


@main.command()
@click.option("--real", is_flag=True, help=f"Use the real WildChat-1M rows shipped in the package, not synthetic logs "
              f"(in ./{REAL_DEMO_DIR} unless --data-dir).")
@click.option("--months", default=None, help="Months to run (default: 2023-04:2023-06 synthetic; 2023-04 real).")
@click.option("--conversations-per-month", default=2000, show_default=True, type=click.IntRange(min=1))
@click.pass_context
@data_dir_option
def demo(
    ctx: click.Context, real: bool, months: str | None, conversations_per_month: int, data_dir: str | None
) -> None:
    """A demo month end to end: synthetic logs, or (--real) the real WildChat samples re-imported.

    Each demo writes into its own folder (or an empty one) and refuses a folder holding other data."""
    if real:
        data_dir = data_dir or REAL_DEMO_DIR
    if is_remote(data_dir or ""):
        raise click.UsageError("a demo writes to a local folder")
    layout = _writable_data_dir(data_dir)
    _demo_folder(layout, "real" if real else "synthetic")
    if real:
        from wildchat_dagster.kit.samples import REAL_WILDCHAT, REAL_WILDCHAT_IMPORTABLE

        ctx.invoke(import_release, files=tuple(str(REAL_WILDCHAT / name) for name in REAL_WILDCHAT_IMPORTABLE),
                   data_dir=data_dir)
        months = months or "2023-04"
    else:
        months = months or "2023-04:2023-06"
        ctx.invoke(generate, months=months, conversations_per_month=conversations_per_month, seed=0, data_dir=data_dir)
    ctx.invoke(run, months=months, select=None, log_level="INFO", data_dir=data_dir)


@main.command()
@click.option("--port", "-p", default=3000, show_default=True, type=int, help="Webserver port: the UI is at http://HOST:PORT.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 exposes the UI to the network).",
)
@data_dir_option
def ui(port: int, host: str, data_dir: str | None) -> None:
    """Open the Dagster UI (`dg dev`: webserver, daemon, code server) over this project's runs.

    Ctrl-C or SIGTERM stops it and everything it started.
    """
    from wildchat_dagster.cli.dev_server import dg_dev_command, past_data_months, run_until_stopped, venv_environment
    from wildchat_dagster.cli.instance_guard import open_instance
    from wildchat_dagster.cli.runner import ensure_dagster_home

    settings = _settings(data_dir=data_dir)
    if bounds := past_data_months(settings):
        settings = _settings(data_dir=data_dir, start_month=bounds[0], end_month=bounds[1])
        click.echo(f"Partitions {bounds[0]} to {bounds[1]}: the months in {settings.data_dir} "
                   f"(set {START_MONTH_ENV} / {END_MONTH_ENV} for others)")
    # Created here, under the file lock, before the webserver and the daemon open it together.
    home = ensure_dagster_home(settings.layout, settings)
    open_instance(home)
    click.echo(f"Dagster UI: http://{host}:{port}  (Ctrl-C stops it)")
    # `dg dev` imports the code location in processes of its own: they read the settings from this environment.
    env = venv_environment(settings.as_environ(dagster_home=home))
    sys.exit(run_until_stopped(dg_dev_command(port, host), env=env))


@main.command()
@click.argument("query", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for pipes) instead of a table.")
@data_dir_option
def sql(query: str | None, as_csv: bool, data_dir: str | None) -> None:
    """Query the DuckDB catalog (read-only): QUERY, or SQL read from stdin.

    \b
    wildchat-dagster sql "SELECT split, count(*) FROM release_all GROUP BY split"
    """
    import duckdb

    from wildchat_dagster.core.storage.catalog import open_catalog

    text = query if query is not None else sys.stdin.read()
    if not text.strip():
        raise click.UsageError("no SQL given (pass QUERY or pipe it on stdin)")
    layout = _layout(data_dir)
    try:
        con = open_catalog(layout.catalog)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    duckdb_readable(con, [layout.root])  # views over an object store read it through fsspec
    with con:
        try:
            relation = con.sql(text)
        except duckdb.Error as error:
            raise click.ClickException(str(error)) from None
        if relation is None:  # a statement without a result (SET, PRAGMA ...)
            return
        if as_csv:
            click.echo(relation.df().to_csv(index=False), nl=False)
        else:
            click.echo(str(relation))


@main.command()
@click.argument("name", type=click.Choice(sorted(BENCHMARKS)))
@click.option(
    "--size", default=None, type=click.IntRange(min=1), help="Workload size (each benchmark has its default)."
)
@click.option(
    "--conversations", default=None, type=click.IntRange(min=1), help="pipeline: conversations in the month (= --size)."
)
@click.option("--compare", is_flag=True, help="pipeline: also run the plain baselines on samples of the same data.")
@click.option(
    "--json", "as_json", is_flag=True, help="pipeline: print the figures as JSON (for tracking across commits)."
)
@click.option(
    "--linearity",
    is_flag=True,
    help="pipeline: run N/4 and N conversations and print each stage's cost ratio (target <= 4.4) and memory.",
)
@click.option(
    "--repeat", default=1, show_default=True, type=click.IntRange(min=1),
    help="pipeline --linearity: runs of each size (each in a fresh process); the fastest per step is compared.",
)
@click.option(
    "--cli", "via_cli", is_flag=True,
    help="pipeline: run the month through `wildchat-dagster run` in a child process (the user's command) instead "
    "of in the benchmark's process.",
)
@click.option(
    "--release-dir", default=None, type=click.Path(exists=True, file_okay=False),
    help="explore: time the searches over this data folder's published release (its index is built if stale) "
    "instead of a generated one.",
)
def bench(
    name: str, size: int | None, conversations: int | None, compare: bool, as_json: bool, linearity: bool,
    repeat: int, via_cli: bool, release_dir: str | None,
) -> None:
    """Run a benchmark and print its figures."""
    module = importlib.import_module(f"wildchat_dagster.kit.benchmarks.{name}")
    size = conversations or size or BENCHMARKS[name]
    if repeat > 1 and not linearity:
        raise click.UsageError("--repeat is an option of the pipeline benchmark's --linearity")
    if release_dir and name != "explore":
        raise click.UsageError("--release-dir is an option of the explore benchmark")
    if release_dir:
        module.run_on(DataLayout(Path(release_dir)))
    elif name == "pipeline" and linearity:
        from wildchat_dagster.kit.benchmarks.pipeline_linearity import run_linearity

        run_linearity(max(1, size // 4), size, as_json=as_json, via_cli=via_cli, repeat=repeat)
    elif name == "pipeline":
        module.run(size, compare=compare, as_json=as_json, via_cli=via_cli)
    elif conversations or compare or as_json or linearity or via_cli:
        raise click.UsageError(
            "--conversations, --compare, --json, --linearity and --cli are options of the pipeline benchmark"
        )
    else:
        module.run(size)


@main.command()
@click.option("--months", required=True, help="Month or range, e.g. 2023-04:2023-06.")
@click.option("--limit", default=20, show_default=True, type=int, help="Example lines to show.")
@data_dir_option
def rejected(months: str, limit: int, data_dir: str | None) -> None:
    """Show the rejected log lines of these months: counts by reason, then examples."""
    import duckdb

    layout = _layout(data_dir)
    files = [layout.partition(Stage.REJECTED_LOGS, m) for m in _months(months)]
    files = [f for f in files if f.exists()]
    if not files:
        raise click.ClickException("no rejected_logs partitions stored for those months; run them first")
    con = duckdb.connect()
    con.read_parquet(duckdb_readable(con, files)).create_view("rejected")
    for reason, n in con.execute("select reason, count(*) from rejected group by 1 order by 2 desc").fetchall():
        click.echo(f"{n:8d}  {reason}")
    rows = con.execute(
        "select source_file, line_number, reason, detail from rejected order by 1, 2 limit ?", [limit]
    ).fetchall()
    for source_file, line, reason, detail in rows:
        click.echo(f"{source_file}:{line}  {reason}  {detail}")


@main.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON (for tools).")
@data_dir_option
def explain(key: str, as_json: bool, data_dir: str | None) -> None:
    """What happened to one record, stage by stage, from the stored stages.

    KEY is a release conversation_hash, a turn_identifier, a raw log_id (or
    conversation_id) or a landing file:line. Prints no message text, raw IP,
    redacted value or IP-hash key; whoever can read the warehouse can run it.
    """
    import json

    from wildchat_dagster.core.lineage.explain import explain as explain_key
    from wildchat_dagster.core.lineage.render import render_text
    from wildchat_dagster.core.storage.warehouse import Warehouse

    result = explain_key(Warehouse(_layout(data_dir)), key)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else render_text(result))
    if not result.conversations and not result.landing:
        sys.exit(1)


@main.command()
@click.option("--port", "-p", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 exposes it).")
@click.option("--operator", is_flag=True, help="Also show explain's stage-by-stage account (reads the warehouse).")
@data_dir_option
def explore(port: int, host: str, operator: bool, data_dir: str | None) -> None:
    """Search and read the published release in a browser (read-only; no warehouse stage is served)."""
    import time

    from wildchat_dagster.cli.explorer.server import serve
    from wildchat_dagster.core.explore.index import ensure_index

    layout = _layout(data_dir)
    started = time.monotonic()
    click.echo("checking the search index against the published files…")
    try:
        index, built = ensure_index(layout)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"search index {'built' if built else 'up to date'} ({time.monotonic() - started:.1f} s): {index}")
    click.echo(f"explorer at http://{host}:{port}/ (Ctrl-C stops it)")
    serve(layout, index, host, port, operator=operator)


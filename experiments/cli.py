"""The ``twin`` command line.

Bad input (scenario files, overlays, ``--set``, arguments) gets one line on stderr naming
the file, the field path and what was expected, and exit status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from experiments.runs import run_scenario, write_run
from experiments.table import format_kpi_table
from scenarios import BUILTINS, ScenarioError, build_model, dump_yaml, load

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ScenarioError as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (NotADirectoryError, PermissionError, FileExistsError) as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("twin: interrupted; nothing written", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twin", description="Community Twin: simulate a residential community."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and write its results")
    _scenario_arguments(run)
    run.add_argument("--days", type=_positive_float, help="simulated days (default: scenario's)")
    run.add_argument("--seed", type=_seed, default=1, help="root random seed (default 1)")
    run.add_argument("--out", type=Path, default=Path("out/run"), help="output folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run.set_defaults(handler=_run)

    listing = commands.add_parser("scenarios", help="list the built-in scenarios")
    listing.set_defaults(handler=_scenarios)

    show = commands.add_parser("show", help="print a scenario fully resolved, as YAML")
    _scenario_arguments(show)
    show.set_defaults(handler=_show)

    kpis = commands.add_parser("kpis", help="list a scenario's KPIs with units")
    _scenario_arguments(kpis)
    kpis.set_defaults(handler=_kpis)
    return parser


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="default", help="built-in name or YAML path")
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML overlay merged onto the scenario (repeatable, applied in order)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        dest="sets",
        metavar="PATH=VALUE",
        help="override one field, e.g. lockers.overflow=retry (repeatable, applied last)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of days, got {text!r}")
    return value


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(text)


def _run(args: argparse.Namespace) -> int:
    progress, close = _progress_bar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        scenario, result = run_scenario(
            args.scenario,
            seed=args.seed,
            days=args.days,
            policies=args.policy,
            sets=args.sets,
            progress=progress,
        )
    finally:
        close()
    write_run(scenario, result, args.out, figures=not args.no_figures)
    if not args.quiet:
        print(format_kpi_table(result.kpis, build_model(scenario).kpis))
        seconds = result.provenance["wall_seconds"]
        print(f"\n{scenario.name}: {scenario.days:g} days, seed {args.seed}, {seconds:.2f} s")
        print(f"results in {args.out}/")
    return 0


def _progress_bar(
    enabled: bool,
) -> tuple[Callable[[float, float], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    # A terminal that reports a zero size (some pseudo-terminals) would hide the bar.
    size = shutil.get_terminal_size(fallback=(80, 24))
    bar = tqdm(
        total=0.0,
        unit="day",
        file=sys.stderr,
        delay=0.5,
        leave=False,
        ncols=size.columns,
        nrows=size.lines,
    )

    def update(now: float, horizon: float) -> None:
        bar.total = round(horizon / 86400, 2)
        bar.n = round(now / 86400, 2)
        bar.refresh()

    return update, bar.close


def _scenarios(args: argparse.Namespace) -> int:
    width = max(len(name) for name in BUILTINS)
    for name, line in BUILTINS.items():
        print(f"{name:<{width}}  {line}")
    return 0


def _show(args: argparse.Namespace) -> int:
    scenario = load(args.scenario, policies=args.policy, sets=args.sets)
    sys.stdout.write(dump_yaml(scenario))
    return 0


def _kpis(args: argparse.Namespace) -> int:
    scenario = load(args.scenario, policies=args.policy, sets=args.sets)
    declared = build_model(scenario).kpis
    width = max(len(kpi.name) for kpi in declared)
    unit_w = max(len(kpi.unit) for kpi in declared)
    for kpi in declared:
        print(f"{kpi.name:<{width}}  {kpi.unit:<{unit_w}}  {kpi.description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The campaign report: one self-contained HTML page a planner can read and defend.

``write_report`` writes ``report.html`` (figures embedded as PNG data URIs, inline CSS,
no scripts and nothing fetched) and, beside it, the numbers as CSV: ``comparison.csv``,
``verdicts.csv`` and, when given, ``sensitivity.csv``. Every piece of text that comes
from scenario files or the user (policy, scenario and KPI names, meta values, verdicts,
descriptions) is HTML-escaped; figures draw it as pixels.

The page is deterministic: the same inputs give the same bytes, so reports can be diffed.
"""

from __future__ import annotations

import base64
import html
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from experiments.analysis import COMPARE_COLUMNS
from experiments.plots import forest_figure, kpi_distribution_figure, sensitivity_figure

__all__ = ["COMPARISON_COLUMNS", "MAX_FIGURE_KPIS", "REPORT_FILES", "write_report"]

COMPARISON_COLUMNS = COMPARE_COLUMNS
REPORT_FILES = ("report.html", "comparison.csv", "verdicts.csv", "sensitivity.csv")
# Figures for more KPIs make a page nobody scrolls through; the table and CSV keep all.
MAX_FIGURE_KPIS = 12
_BASELINE_KEYS = ("baseline", "baseline_policy", "baseline policy", "baseline_name")


def write_report(
    out_dir: Path | str,
    *,
    comparison: pd.DataFrame,
    verdicts: Sequence[str],
    kpi_frame: pd.DataFrame,
    units: Mapping[str, str],
    descriptions: Mapping[str, str],
    meta: Mapping[str, str],
    sensitivity: pd.DataFrame | None = None,
    tables: Sequence[tuple[str, str, pd.DataFrame]] = (),
) -> Path:
    """Write ``report.html`` and its CSV files into ``out_dir``; return the page's path.

    ``tables`` are further (title, explanation, frame) sections shown as plain tables
    (ranking, Pareto front, precision); their CSV files are the caller's to write.

    ``comparison`` has one row per (kpi, policy) with the columns in
    ``COMPARISON_COLUMNS`` (differences are paired, against the baseline, whose own row
    has difference 0); leading ``scenario`` and ``point`` columns (``compare(...,
    keep_keys=True)``) are allowed, and rows are then labelled with their context. The
    baseline is ``comparison.attrs["baseline"]`` (set by ``analysis.compare``), else
    ``meta["baseline"]`` if it names a policy, else the one policy whose differences are
    all zero; the interval level is ``attrs["confidence"]`` (or ``meta["confidence"]``).
    Figures cover the first ``MAX_FIGURE_KPIS`` KPIs in the order of ``comparison``; the
    table covers them all. ``meta`` is shown as given, in order (``title`` is the heading).
    """
    missing = [c for c in COMPARISON_COLUMNS if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison lacks columns {missing}; expected {COMPARISON_COLUMNS}")
    out = Path(out_dir)
    baseline = _baseline(comparison, meta)
    confidence = _confidence(comparison, meta)
    kpis = [str(k) for k in dict.fromkeys(comparison["kpi"])]
    shown = kpis[:MAX_FIGURE_KPIS]
    # With several scenarios or design points, each row is labelled with its context, and
    # the baseline of each context is its own reference; figures and table use the labels.
    label = _labeller(comparison)
    table = comparison.assign(
        policy=label(comparison), is_baseline_row=comparison["policy"] == baseline
    )
    labels = _label_order(comparison, table["policy"], table["is_baseline_row"])
    kpi_values = kpi_frame.assign(policy=label(kpi_frame))
    others = table[~table["is_baseline_row"]].drop(columns="is_baseline_row")

    # Draw every figure before writing any file, so a failure leaves no half report.
    with tempfile.TemporaryDirectory(prefix="twin-report-") as tmp:
        figure = _Figures(Path(tmp))
        forest = None
        if not others.empty:
            forest = figure(
                partial(
                    forest_figure,
                    others[others["kpi"].isin(shown)],
                    units,
                    title="Difference from the baseline, per policy",
                )
            )
        distributions = [
            (
                kpi,
                figure(
                    partial(
                        kpi_distribution_figure,
                        kpi_values,
                        kpi,
                        units.get(kpi, ""),
                        title=f"{kpi}: one value per replication",
                        order=labels,
                    )
                ),
            )
            for kpi in shown
            if (kpi_values["kpi"] == kpi).any()
        ]
        sensitivities: list[tuple[str, str, bool]] = []
        if sensitivity is not None and not sensitivity.empty:
            sens_kpis = [str(k) for k in dict.fromkeys(sensitivity["kpi"])][:MAX_FIGURE_KPIS]
            sensitivities = [
                (
                    kpi,
                    figure(
                        partial(
                            sensitivity_figure,
                            sensitivity,
                            kpi,
                            title=f"Sensitivity of {kpi}",
                            unit=units.get(kpi),
                        )
                    ),
                    # Both methods side by side need the full width.
                    sensitivity.loc[sensitivity["kpi"] == kpi, "method"].nunique() > 1,
                )
                for kpi in sens_kpis
            ]

    policies = [str(p) for p in dict.fromkeys(comparison["policy"])]
    page = _page(
        table=table,
        verdicts=verdicts,
        units=units,
        descriptions=descriptions,
        meta=meta,
        baseline=baseline,
        confidence=confidence,
        kpis=kpis,
        policies=policies,
        labels=labels,
        forest=forest,
        distributions=distributions,
        sensitivities=sensitivities,
        has_sensitivity=sensitivity is not None,
        tables=tables,
    )
    out.mkdir(parents=True, exist_ok=True)
    comparison.to_csv(out / "comparison.csv", index=False)
    pd.DataFrame({"verdict": [str(v) for v in verdicts]}).to_csv(out / "verdicts.csv", index=False)
    if sensitivity is not None:
        sensitivity.to_csv(out / "sensitivity.csv", index=False)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


class _Figures:
    """Draws figures into a scratch folder and hands them back as data URIs."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._count = 0

    def __call__(self, draw: Callable[[Path], Path]) -> str:
        self._count += 1
        path = draw(self._folder / f"figure-{self._count}.png")
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _baseline(comparison: pd.DataFrame, meta: Mapping[str, str]) -> str | None:
    """The baseline policy: as ``analysis.compare`` recorded it, as the run details name
    it, or else the one policy whose differences are all exactly zero."""
    policies = {str(p) for p in comparison["policy"]}
    named = [comparison.attrs.get("baseline")] + [meta.get(key) for key in _BASELINE_KEYS]
    for name in named:
        if name is not None and str(name) in policies:
            return str(name)
    diffs = comparison[["diff_mean", "diff_ci_low", "diff_ci_high"]]
    zero = (diffs.fillna(0.0) == 0.0).all(axis=1).groupby(comparison["policy"]).all()
    candidates = [str(p) for p in zero.index[zero]]
    return candidates[0] if len(candidates) == 1 else None


def _confidence(comparison: pd.DataFrame, meta: Mapping[str, str]) -> str | None:
    """The interval level as text ("95 %"), when the table or the run details give it."""
    level = comparison.attrs.get("confidence", meta.get("confidence"))
    try:
        value = float(str(level).strip().rstrip("%"))
    except ValueError:
        return None
    value = value * 100 if value < 1 else value
    return f"{value:g}\N{NO-BREAK SPACE}%" if 0 < value < 100 else None


def _labeller(comparison: pd.DataFrame) -> Callable[[pd.DataFrame], pd.Series]:
    """Row labels: the policy, with the scenario and design point when those vary."""
    scenarios = "scenario" in comparison and comparison["scenario"].nunique() > 1
    points = "point" in comparison and comparison["point"].nunique() > 1

    def label(frame: pd.DataFrame) -> pd.Series:
        text = frame["policy"].astype(str)
        if scenarios:
            text = text + " · " + frame["scenario"].astype(str)
        if points:
            text = text + " · point " + frame["point"].astype(str)
        return text

    return label


def _label_order(comparison: pd.DataFrame, labels: pd.Series, base: pd.Series) -> list[str]:
    """Labels in the table's order, each context's baseline first."""
    keys = [c for c in ("scenario", "point") if c in comparison]
    context = (
        comparison[keys].astype(str).agg(" ".join, axis=1)
        if keys
        else pd.Series("", index=comparison.index)
    )
    first = {c: i for i, c in enumerate(dict.fromkeys(context))}
    order: dict[str, tuple[int, bool, int]] = {}
    for i, (text, where, is_base) in enumerate(zip(labels, context, base, strict=True)):
        order.setdefault(str(text), (first[where], not bool(is_base), i))
    return sorted(order, key=order.__getitem__)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _is_nan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _number(value: float, signed: bool = False) -> str:
    """A number at a precision a person reads: about four significant digits."""
    if _is_nan(value):
        return "n/a"
    value = float(value)
    if math.isinf(value):
        return ("+" if value > 0 and signed else "") + ("∞" if value > 0 else "−∞")
    size = abs(value)
    if size == 0:
        text = "0"
    elif size >= 1000:
        text = f"{size:,.0f}"
    elif size >= 100:
        text = f"{size:.1f}"
    elif size >= 1:
        text = f"{size:.2f}"
    elif size >= 0.001:
        text = f"{size:.3g}"
    else:
        text = f"{size:.2e}"
    sign = "−" if value < 0 else ("+" if signed and value > 0 else "")
    return sign + text


def _units(unit: str) -> tuple[float, str, str]:
    if unit == "fraction":
        return 100.0, "%", "pp"
    return 1.0, unit, unit


def _interval(low: object, high: object, factor: float, signed: bool = False) -> str:
    if _is_nan(low) and _is_nan(high):
        return "n/a"
    a = _number(float(low) * factor, signed)  # type: ignore[arg-type]
    b = _number(float(high) * factor, signed)  # type: ignore[arg-type]
    return f"{a} to {b}"


def _reps(value: object) -> str:
    if _is_nan(value):
        return "n/a"
    number = float(value)  # type: ignore[arg-type]
    return f"{int(number)}" if number.is_integer() else _number(number)


def _excludes_zero(low: object, high: object) -> bool:
    if _is_nan(low) or _is_nan(high):
        return False
    return float(low) > 0 or float(high) < 0  # type: ignore[arg-type]


MAX_TABLE_ROWS = 200


def _plain_table(title: str, note: str, frame: pd.DataFrame) -> str:
    """A titled table of any frame, every cell escaped; long tables are cut with a note."""
    head = "".join(f"<th>{_e(column)}</th>" for column in frame.columns)
    rows = []
    for values in frame.head(MAX_TABLE_ROWS).itertuples(index=False):
        cells = "".join(f"<td>{_e(_number(v) if isinstance(v, float) else v)}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    more = len(frame) - MAX_TABLE_ROWS
    cut = f"<p class='muted'>{more} more rows in the CSV file.</p>" if more > 0 else ""
    return (
        f"<h3>{_e(title)}</h3><p>{_e(note)}</p><div class='scroll'><table>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{cut}"
    )


def _meta_table(meta: Mapping[str, str]) -> str:
    rows = [
        f"<tr><th scope='row'>{_e(str(key).replace('_', ' '))}</th><td>{_e(value)}</td></tr>"
        for key, value in meta.items()
        if str(key) != "title"
    ]
    if not rows:
        return "<p class='muted'>No run details were given.</p>"
    return "<table class='meta'>" + "".join(rows) + "</table>"


def _verdict_list(verdicts: Sequence[str], compared: bool) -> str:
    if not verdicts:
        why = "" if compared else ": there is no policy to compare with the baseline"
        return f"<p class='muted'>No verdicts{why}.</p>"
    items = "".join(f"<li>{_e(v)}</li>" for v in verdicts)
    return f"<ol class='verdicts'>{items}</ol>"


def _policy_table(
    table: pd.DataFrame,
    units: Mapping[str, str],
    descriptions: Mapping[str, str],
    confidence: str | None,
    kpis: list[str],
    labels: list[str],
) -> str:
    level = f"{confidence} interval" if confidence else "Interval"
    head = (
        "<thead><tr><th>Policy</th><th class='num'>Replications</th><th class='num'>Mean</th>"
        f"<th class='num'>{_e(level)} of the mean</th>"
        "<th class='num'>Difference vs baseline</th>"
        f"<th class='num'>{_e(level)} of the difference</th></tr></thead>"
    )
    rank = {p: i for i, p in enumerate(labels)}
    body = []
    for kpi in kpis:
        unit = str(units.get(kpi, ""))
        factor, level_unit, diff_unit = _units(unit)
        unit_note = (
            "fraction, shown in %; differences in percentage points (pp)"
            if unit == "fraction"
            else unit or "no unit given"
        )
        description = descriptions.get(kpi, "")
        about = f" — {_e(description)}" if description else ""
        body.append(
            f"<tr class='kpi'><th colspan='6' scope='rowgroup'><span class='name'>{_e(kpi)}</span>"
            f"{about} <span class='unit'>({_e(unit_note)})</span></th></tr>"
        )
        rows = table[table["kpi"] == kpi]
        rows = rows.iloc[sorted(range(len(rows)), key=lambda i: rank[str(rows["policy"].iloc[i])])]
        lu = f" <span class='u'>{_e(level_unit)}</span>" if level_unit else ""
        du = f" <span class='u'>{_e(diff_unit)}</span>" if diff_unit else ""
        for row in rows.itertuples(index=False):
            mean = _number(float(row.mean) * factor)
            mean_ci = _interval(row.ci_low, row.ci_high, factor)
            if row.is_baseline_row:
                diff = "<span class='muted'>baseline</span>"
                diff_ci = ""
                name = f"{_e(row.policy)} <span class='tag'>baseline</span>"
            else:
                clear = _excludes_zero(row.diff_ci_low, row.diff_ci_high)
                klass = " class='clear'" if clear else ""
                value = _number(float(row.diff_mean) * factor, signed=True)
                diff = f"<span{klass}>{value}</span>" + (du if value != "n/a" else "")
                interval = _interval(row.diff_ci_low, row.diff_ci_high, factor, signed=True)
                diff_ci = f"<span{klass}>{interval}</span>"
                name = _e(row.policy)
            body.append(
                f"<tr><td class='policy'>{name}</td><td class='num'>{_reps(row.reps)}</td>"
                f"<td class='num'>{mean}{lu if mean != 'n/a' else ''}</td>"
                f"<td class='num'>{mean_ci}</td><td class='num'>{diff}</td>"
                f"<td class='num'>{diff_ci}</td></tr>"
            )
    return f"<table class='policies'>{head}<tbody>{''.join(body)}</tbody></table>"


def _nav(has_sensitivity: bool) -> str:
    sections = [
        ("run", "What was run"),
        ("verdicts", "Verdicts"),
        ("how", "How to read this"),
        ("table", "Table"),
        ("differences", "Differences"),
        ("distributions", "Distributions"),
    ] + ([("sensitivity", "Sensitivity")] if has_sensitivity else [])
    links = " · ".join(f"<a href='#{anchor}'>{name}</a>" for anchor, name in sections)
    return f"<nav>{links}</nav>"


def _img(src: str, alt: str) -> str:
    return f"<img src='{src}' alt='{_e(alt)}'>"


_HOW_TO_READ = """
<p>Each policy was run several times: each run, a <em>replication</em>, simulates the same
days with its own random numbers. A KPI's <em>mean</em> is the average over
those replications, and its <em>interval</em> is the confidence interval of that mean: the
range the long-run mean is likely to lie in, given the replications we ran ({level}).
More replications give narrower intervals.</p>
<p>The <em>difference vs baseline</em> is <em>paired</em>: replication&nbsp;1 of a policy
used the same random numbers as replication&nbsp;1 of the baseline (<em>common random
numbers</em>: as far as the policy allows, the same parcels, residents and arrivals), and
so on; each difference is taken within a pair and then averaged. It shows the effect of
the policy rather than luck, and its interval is usually much
narrower than the intervals of the two means. When the interval of a difference excludes
zero (shown in <b>bold</b> in the table and in colour in the chart), the replications
support a real difference in that direction; when it includes zero, the replications
cannot tell the policy from the baseline on that KPI. Whether higher is better depends on
the KPI. Fractions are shown as percentages, and their differences in percentage points
(pp).</p>
"""


def _how_to_read(confidence: str | None) -> str:
    level = f"a {confidence} interval" if confidence else "95\N{NO-BREAK SPACE}% unless stated"
    return _HOW_TO_READ.format(level=_e(level))


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1d2330;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; background: #fff;
  min-height: 100vh; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e1e4ea; }
p { max-width: 78ch; }
.subtitle { color: #5a6272; margin: 0 0 6px; }
nav { font-size: 14px; margin: 0 0 18px; color: #9aa1ad; }
nav a, footer a { color: #2f5f9e; text-decoration: none; }
nav a:hover, footer a:hover { text-decoration: underline; }
.muted { color: #6b7280; }
table { border-collapse: collapse; }
table.meta th { text-align: left; font-weight: 600; padding: 3px 18px 3px 0; color: #394150;
  vertical-align: top; white-space: nowrap; }
table.meta td { padding: 3px 0; word-break: break-word; }
ol.verdicts { padding-left: 1.6em; margin: 0; }
ol.verdicts li { margin: 0 0 6px; max-width: 90ch; }
.howto { background: #f7f9fc; border-left: 4px solid #8aa9d6; padding: 4px 18px; margin: 8px 0; }
.scroll { overflow-x: auto; }
table.policies { width: 100%; font-size: 14px; }
table.policies thead th { text-align: left; font-weight: 600; border-bottom: 2px solid #c9ced8;
  padding: 6px 10px; white-space: nowrap; }
table.policies thead th.num { text-align: right; }
table.policies td { padding: 4px 10px; border-bottom: 1px solid #eceef2; }
table.policies tr.kpi th { text-align: left; font-weight: normal; background: #eef2f8;
  padding: 7px 10px; border-top: 12px solid #fff; }
table.policies tr.kpi .name { font-weight: 600;
  font-family: ui-monospace, Menlo, Consolas, monospace; }
.unit, .u { color: #6b7280; }
.u { font-size: 12px; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.policy { word-break: break-word; }
.clear { font-weight: 700; }
.tag { font-size: 11px; background: #e5e7eb; border-radius: 3px; padding: 1px 5px; color: #374151; }
figure { margin: 12px 0 20px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eceef2; }
figcaption { color: #5a6272; font-size: 13px; margin-top: 4px; max-width: 90ch; }
.grid .wide { grid-column: 1 / -1; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr));
  gap: 8px 20px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
footer { margin-top: 36px; color: #6b7280; font-size: 13px; }
"""


def _page(
    *,
    table: pd.DataFrame,
    verdicts: Sequence[str],
    units: Mapping[str, str],
    descriptions: Mapping[str, str],
    meta: Mapping[str, str],
    baseline: str | None,
    confidence: str | None,
    kpis: list[str],
    policies: list[str],
    labels: list[str],
    forest: str | None,
    distributions: list[tuple[str, str]],
    sensitivities: list[tuple[str, str, bool]],
    has_sensitivity: bool,
    tables: Sequence[tuple[str, str, pd.DataFrame]] = (),
) -> str:
    title = str(meta.get("title") or "Policy comparison")
    others = [p for p in policies if p != baseline]
    contexts = len(labels) // max(1, len(policies))
    where = f" in {contexts} scenarios or design points" if contexts > 1 else ""
    if baseline is None:
        subtitle = f"{len(policies)} policies compared{where}; no baseline was identified."
    elif others:
        subtitle = f"{len(others)} {'policy' if len(others) == 1 else 'policies'} compared with "
        subtitle += f"the baseline “{baseline}” on {len(kpis)} KPIs{where}."
    else:
        subtitle = f"Only the baseline “{baseline}” was run: there is nothing to compare yet."
    omitted = len(kpis) - min(len(kpis), MAX_FIGURE_KPIS)
    omitted_note = (
        f" Charts show the first {MAX_FIGURE_KPIS} KPIs; the other {omitted} are in the table"
        " and in <code>comparison.csv</code>."
        if omitted
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1><p class='subtitle'>{_e(subtitle)}</p>",
        _nav(has_sensitivity),
        "<h2 id='run'>What was run</h2>",
        _meta_table(meta),
        "<h2 id='verdicts'>Verdicts</h2>",
        _verdict_list(verdicts, compared=bool(others)),
        "<h2 id='how'>How to read this</h2>",
        f"<div class='howto'>{_how_to_read(confidence)}</div>",
        "<h2 id='table'>Policies, KPI by KPI</h2>",
        "<div class='scroll'>",
        _policy_table(table, units, descriptions, confidence, kpis, labels),
        "</div>",
        "<h2 id='differences'>Differences from the baseline</h2>",
    ]
    if forest is not None:
        parts.append(
            f"<figure>{_img(forest, 'Paired differences from the baseline, per KPI')}"
            "<figcaption>Each line is the interval of a policy's paired difference from the"
            " baseline, the dot its mean; the black line is no difference. Each KPI has its"
            f" own scale and unit.{omitted_note}</figcaption></figure>"
        )
    else:
        parts.append("<p class='muted'>No policy other than the baseline was run.</p>")
    parts.append("<h2 id='distributions'>KPI values over the replications</h2>")
    if distributions:
        parts.append(
            "<p>One value per replication and policy: the spread shows how much a KPI varies"
            " from one run of the same days to the next. Box: the middle half of the"
            " replications; blue line: median; thin line: full range; diamond: mean."
            f"{omitted_note}</p><div class='grid'>"
        )
        parts += [
            f"<figure>{_img(src, f'Replication values of {kpi}')}</figure>"
            for kpi, src in distributions
        ]
        parts.append("</div>")
    else:
        parts.append("<p class='muted'>No replication values were given.</p>")
    if has_sensitivity:
        parts.append("<h2 id='sensitivity'>Sensitivity</h2>")
        if sensitivities:
            parts.append(
                "<p>Which uncertain inputs move each KPI most. Sobol: S1 is the share of the"
                " KPI's variance due to a parameter alone, ST includes its interactions with"
                " the others (a large gap means interactions matter). Morris: μ* is the mean"
                " size of a parameter's effect, σ how much that effect changes across the"
                " other parameters. Error bars are the estimates' confidence intervals.</p>"
            )
            parts.append("<div class='grid'>")
            parts += [
                f"<figure{' class=wide' if wide else ''}>"
                f"{_img(src, f'Sensitivity of {kpi}')}</figure>"
                for kpi, src, wide in sensitivities
            ]
            parts.append("</div>")
        else:
            parts.append("<p class='muted'>The sensitivity analysis returned no rows.</p>")
    if tables:
        parts.append("<h2 id='more'>Ranking, trade-offs and precision</h2>")
        parts += [_plain_table(title, note, frame) for title, note, frame in tables]
    files = ["comparison.csv", "verdicts.csv"] + (["sensitivity.csv"] if has_sensitivity else [])
    links = ", ".join(f"<a href='{name}'><code>{name}</code></a>" for name in files)
    parts.append(
        f"<footer>The numbers behind this page are in {links}, next to this file.</footer>"
        "</main></body></html>"
    )
    return "\n".join(parts) + "\n"

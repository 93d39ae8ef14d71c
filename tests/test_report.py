"""The campaign report: a self-contained page that Chromium renders, escaped and complete."""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.plots import forest_figure, kpi_distribution_figure, sensitivity_figure
from experiments.report import COMPARISON_COLUMNS, write_report

EVIL = "<script>alert(1)</script>"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[1]
# Every tag the report itself writes; anything else would have come from the input.
ALLOWED_TAGS = (
    "html head meta title style body main h1 h2 p em b table thead tbody tr th td span ol li"
    " div figure figcaption img footer a code nav"
)

UNITS = {
    "lockers.overflow_rate": "fraction",
    "parcels.lost": "parcels",
    "parcels.dwell_hours_mean": "h",
    "fees.collected": "CNY",
}
DESCRIPTIONS = {
    "lockers.overflow_rate": "overflowed / offered to lockers",
    "parcels.lost": "overflowed parcels lost <b>for good</b>",
    "parcels.dwell_hours_mean": "deposit to pickup, collected parcels",
    "fees.collected": "overtime fees paid by residents",
}
LEVELS = {
    "lockers.overflow_rate": 0.12,
    "parcels.lost": 40.0,
    "parcels.dwell_hours_mean": 14.5,
    "fees.collected": 2300.0,
}


def _inputs(policies: list[str], reps: int = 12, nan: bool = False) -> dict[str, object]:
    """Synthetic campaign results: paired replications, as the analysis would hand them."""
    rng = np.random.default_rng(7)
    baseline = policies[0]
    rows = []
    for kpi, level in LEVELS.items():
        noise = rng.normal(0.0, 0.08 * level, size=reps)  # shared by all: common random numbers
        for k, policy in enumerate(policies):
            no_effect = k == 0 or (k == 2 and kpi == "parcels.lost")
            effect = 0.0 if no_effect else level * (0.25 * (-1) ** k) / k
            own = rng.normal(0.0, 0.02 * level, size=reps) if k else np.zeros(reps)
            values = level + effect + noise + own
            rows += [
                ("default", policy, 0, r, kpi, float(v)) for r, v in enumerate(values, start=1)
            ]
    kpi_frame = pd.DataFrame(
        rows, columns=["scenario", "policy", "point", "replication", "kpi", "value"]
    )
    if nan:
        kpi_frame.loc[kpi_frame.index[:5], "value"] = np.nan
    base = kpi_frame[kpi_frame["policy"] == baseline].set_index(["kpi", "replication"])["value"]
    table, verdicts = [], []
    for (kpi, policy), group in kpi_frame.groupby(["kpi", "policy"], sort=False):
        values = group.set_index("replication")["value"]
        diff = values - base.loc[kpi]
        mean, half = values.mean(), 2.2 * values.std() / np.sqrt(reps)
        d_mean, d_half = diff.mean(), 2.2 * diff.std() / np.sqrt(reps)
        if policy == baseline:
            d_mean = d_half = 0.0
        table.append(
            (
                kpi,
                policy,
                reps,
                mean,
                mean - half,
                mean + half,
                d_mean,
                d_mean - d_half,
                d_mean + d_half,
            )
        )
        if policy != baseline:
            verdicts.append(f"{policy} changes {kpi} by {d_mean:+.3g} {UNITS[kpi]} vs {baseline}.")
    comparison = pd.DataFrame(table, columns=list(COMPARISON_COLUMNS))
    if nan:
        comparison.loc[comparison.index[1], ["mean", "ci_low", "ci_high"]] = np.nan
        comparison.loc[comparison.index[1], ["diff_mean", "diff_ci_low", "diff_ci_high"]] = np.nan
    return {
        "comparison": comparison,
        "verdicts": verdicts,
        "kpi_frame": kpi_frame,
        "units": UNITS,
        "descriptions": DESCRIPTIONS,
        "meta": {
            "title": "Parcel lockers: fee and hold policies",
            "baseline": baseline,
            "scenario": "default",
            "days": "28",
            "replications": f"{reps} per policy (fixed)",
            "warm-up": "2 days (Welch)",
            "seeds": f"1..{reps}, shared by all policies",
            "store": "out/campaign/store",
            "code version": "0.1.0 (abc1234)",
        },
    }


def _sensitivity() -> pd.DataFrame:
    rows = []
    for i, name in enumerate(["arrival_rate", "pickup_delay", "compartments", "courier_retry"]):
        rows.append(
            {
                "kpi": "lockers.overflow_rate",
                "parameter": name,
                "method": "sobol",
                "S1": 0.5 / (i + 1),
                "S1_conf": 0.05,
                "ST": 0.6 / (i + 1),
                "ST_conf": 0.06,
            }
        )
        for kpi, scale in (("parcels.dwell_hours_mean", 1.0), ("lockers.overflow_rate", 0.01)):
            rows.append(
                {
                    "kpi": kpi,
                    "parameter": name,
                    "method": "morris",
                    "mu_star": 3.0 * scale / (i + 1),
                    "mu_star_conf": 0.4 * scale,
                    "sigma": 1.0 * scale / (i + 1),
                }
            )
    return pd.DataFrame(rows)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_images(parser: _Tags) -> list[tuple[int, int]]:
    sizes = []
    for image in parser.images:
        src = image.get("src") or ""
        assert src.startswith("data:image/png;base64,"), src[:40]
        sizes.append(_png_size(base64.b64decode(src.split(",", 1)[1], validate=True)))
        assert image.get("alt")
    for width, height in sizes:
        assert 300 <= width <= 3000 and 150 <= height <= 6000, (width, height)
    return sizes


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make browser` installs it")
        pytest.skip("chromium is not installed; `make browser` installs it")
    return path


def _chromium_args(chromium: str, profile: Path) -> list[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    policies = ["status quo", "hold 48 h", "fee after 24 h", EVIL, "more compartments"]
    page = write_report(tmp_path / "report", **_inputs(policies), sensitivity=_sensitivity())
    parser = _parse(page.read_text(encoding="utf-8"))
    sizes = _check_images(parser)
    # Forest plot, one distribution per KPI, one sensitivity chart per KPI analysed.
    assert len(sizes) == 1 + len(LEVELS) + 2

    url = page.resolve().as_uri()
    shot = tmp_path / "report.png"
    args = _chromium_args(chromium, tmp_path / "profile")
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1280,4000", url],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = shot.read_bytes()
    assert _png_size(data) == (1280, 4000)
    assert len(data) > 50_000, "a blank page compresses to almost nothing"
    screenshots = REPO / "out"
    screenshots.mkdir(exist_ok=True)
    shutil.copyfile(shot, screenshots / "report-screenshot.png")

    dom = subprocess.run(
        [*args, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=180
    ).stdout
    rendered = _parse(dom)
    assert [i.get("src") for i in rendered.images] == [i.get("src") for i in parser.images]
    assert "script" not in rendered.tags
    assert EVIL in "".join(rendered.text), "the policy name is shown as text"


def test_everything_from_input_is_escaped(tmp_path: Path) -> None:
    inputs = _inputs(["base", EVIL, "quote \" and ' and &amp;"])
    meta = dict(inputs["meta"])  # type: ignore[call-overload]
    meta["title"] = "<h1 onload=x>Title</h1>"
    meta[EVIL] = EVIL
    inputs["meta"] = meta
    inputs["verdicts"] = [*inputs["verdicts"], f"{EVIL} is <i>better</i>"]  # type: ignore[misc]
    comparison = inputs["comparison"].copy()  # type: ignore[attr-defined]
    frame = inputs["kpi_frame"].copy()  # type: ignore[attr-defined]
    comparison["kpi"] = comparison["kpi"].replace("fees.collected", "<img src=x onerror=alert(1)>")
    frame["kpi"] = frame["kpi"].replace("fees.collected", "<img src=x onerror=alert(1)>")
    inputs["comparison"], inputs["kpi_frame"] = comparison, frame
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]

    assert "<script" not in page.lower()
    assert "<i>better" not in page and "<b>for good" not in page and "<h1 onload" not in page
    assert html_escaped(EVIL) in page
    parser = _parse(page)
    assert not any(name.startswith("on") for name in parser.attributes)
    allowed = set(ALLOWED_TAGS.split())
    assert set(parser.tags) <= allowed, set(parser.tags) - allowed
    _check_images(parser)  # every img is one of ours: a PNG data URI
    assert re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", page) is None


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_csv_files(tmp_path: Path) -> None:
    inputs = _inputs(["base", "hold 48 h", "fee"])
    sensitivity = _sensitivity()
    write_report(tmp_path, **inputs, sensitivity=sensitivity)  # type: ignore[arg-type]
    comparison = pd.read_csv(tmp_path / "comparison.csv", float_precision="round_trip")
    assert list(comparison.columns) == list(COMPARISON_COLUMNS)
    # Floats round-trip exactly: the CSV keeps full precision.
    pd.testing.assert_frame_equal(comparison, inputs["comparison"], check_exact=True)  # type: ignore[arg-type]
    verdicts = pd.read_csv(tmp_path / "verdicts.csv")
    assert list(verdicts.columns) == ["verdict"]
    assert verdicts["verdict"].tolist() == inputs["verdicts"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "sensitivity.csv"), sensitivity)


def test_no_sensitivity_means_no_sensitivity_file(tmp_path: Path) -> None:
    write_report(tmp_path, **_inputs(["base", "fee"]))  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "comparison.csv",
        "report.html",
        "verdicts.csv",
    ]


def test_baseline_only(tmp_path: Path) -> None:
    inputs = _inputs(["status quo"])
    assert inputs["verdicts"] == []
    inputs["meta"] = {"title": "Baseline only"}  # the baseline is found from zero differences
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert "Only the baseline “status quo” was run" in page
    assert "No verdicts" in page
    parser = _parse(page)
    assert len(_check_images(parser)) == len(LEVELS)  # distributions, no forest plot


def test_nan_values_show_as_not_available(tmp_path: Path) -> None:
    inputs = _inputs(["base", "fee", "hold"], nan=True)
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert "n/a" in page
    assert "nan" not in re.sub(r"data:image/png;base64,[^'\"]*", "", page).lower()
    _check_images(_parse(page))


def test_same_inputs_same_page(tmp_path: Path) -> None:
    inputs = _inputs(["base", "fee"], reps=5)
    first = write_report(tmp_path / "a", **inputs).read_bytes()  # type: ignore[arg-type]
    assert write_report(tmp_path / "b", **inputs).read_bytes() == first  # type: ignore[arg-type]


def test_figure_kpis_are_capped(tmp_path: Path) -> None:
    inputs = _inputs(["base", "fee"], reps=4)
    comparison = inputs["comparison"]
    frame = inputs["kpi_frame"]
    copies_c, copies_f = [], []
    for i in range(5):  # 20 KPIs
        copies_c.append(comparison.assign(kpi=comparison["kpi"] + f".{i}"))  # type: ignore[attr-defined]
        copies_f.append(frame.assign(kpi=frame["kpi"] + f".{i}"))  # type: ignore[attr-defined]
    inputs["comparison"], inputs["kpi_frame"] = pd.concat(copies_c), pd.concat(copies_f)
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert len(_check_images(_parse(page))) == 1 + 12
    assert "the other 8 are in the table" in page
    assert "fees.collected.4" in page  # the table keeps every KPI


def test_figures_draw_odd_names_and_return_their_path(tmp_path: Path) -> None:
    inputs = _inputs(["base", "$5 fee", "a" * 120], nan=True)
    comparison, frame = inputs["comparison"], inputs["kpi_frame"]
    for path in (
        forest_figure(comparison, UNITS, tmp_path / "f.png", "$ title_", baseline="base"),  # type: ignore[arg-type]
        kpi_distribution_figure(
            frame, "lockers.overflow_rate", "fraction", tmp_path / "d.png", "t"
        ),  # type: ignore[arg-type]
        kpi_distribution_figure(frame, "absent", "h", tmp_path / "e.png", "t"),  # type: ignore[arg-type]
        sensitivity_figure(_sensitivity(), "lockers.overflow_rate", tmp_path / "s.png", "t"),
        sensitivity_figure(_sensitivity(), "absent", tmp_path / "t.png", "t"),
    ):
        assert _png_size(path.read_bytes())[0] > 300


def test_baseline_and_level_come_from_the_comparison_attrs(tmp_path: Path) -> None:
    inputs = _inputs(["status quo", "fee", "hold"])
    comparison = inputs["comparison"].copy()  # type: ignore[attr-defined]
    comparison.attrs.update(baseline="status quo", confidence=0.9)
    # As the campaign writes it: a description, not the bare policy name.
    inputs["meta"] = {"baseline": "status quo (the scenario itself)"}
    inputs["comparison"] = comparison
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert "compared with the baseline “status quo”" in page
    assert page.count("<span class='tag'>baseline</span>") == len(LEVELS)
    assert "90\N{NO-BREAK SPACE}% interval of the difference" in page


def test_several_scenarios_and_points_are_labelled(tmp_path: Path) -> None:
    """With ``keep_keys`` the table holds one row per (scenario, point, kpi, policy)."""
    parts, frames = [], []
    for point in (1, 2):
        inputs = _inputs(["base", "fee"], reps=6)
        parts.append(inputs["comparison"].assign(scenario="default", point=point))  # type: ignore[attr-defined]
        frames.append(inputs["kpi_frame"].assign(point=point))  # type: ignore[attr-defined]
    comparison = pd.concat(parts, ignore_index=True)
    inputs["comparison"] = comparison[["scenario", "point", *COMPARISON_COLUMNS]]
    inputs["kpi_frame"] = pd.concat(frames, ignore_index=True)
    page = write_report(tmp_path, **inputs).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert "fee · point 2" in page and "base · point 1" in page
    assert page.count("<span class='tag'>baseline</span>") == 2 * len(LEVELS)
    assert "in 2 scenarios or design points" in page
    _check_images(_parse(page))


def test_report_of_the_analysis_tables(tmp_path: Path) -> None:
    """The tables ``experiments.analysis`` makes go into the report as they are."""
    analysis = pytest.importorskip("experiments.analysis")
    inputs = _inputs(["base", "fee", EVIL])
    comparison = analysis.compare(inputs["kpi_frame"], baseline="base")
    sentences = analysis.verdicts(comparison, {"parcels.lost": "lower"}, UNITS)
    page = write_report(
        tmp_path,
        **{**inputs, "comparison": comparison, "verdicts": sentences},  # type: ignore[arg-type]
    )
    text = "".join(_parse(page.read_text(encoding="utf-8")).text)
    assert all(sentence in text for sentence in sentences)
    assert "compared with the baseline “base”" in text

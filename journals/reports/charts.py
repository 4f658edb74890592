"""Server-side SVG charts of a journal on one shared date axis: no JavaScript, no network.

Every chart takes a ``DateAxis`` and plain data (dates and numbers), so any page can draw
any patient over any window. Charts built on the same axis put a date at the same x, so
stacked charts line up day by day. A missing day is a gap: no bar, no point, and the line
breaks there. Colours come from CSS classes (``static/css/mitra.css``, "Trends") and so
follow the light and dark themes; each series also has its own shape, never colour alone.

Each ``Chart`` carries its text alternative: a title and a description for the ``<svg
role="img">``, and the same data as table rows for the page to show. ``key`` names the
chart's element ids; pass another one to draw the same kind of chart twice on a page.
"""

import math
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.dateformat import format as format_date
from django.utils.safestring import SafeString, mark_safe

from journals.choices import SleepQuality
from journals.text import format_decimal, format_minutes

if TYPE_CHECKING:
    from journals.reports.trends import TrendSeries

Number = int | float | Decimal

SVG_NS = "http://www.w3.org/2000/svg"
# The drawing's own units; the SVG scales to the width of its container (viewBox), so a
# phone at 390 px shows it about life size and zoom enlarges it with the page.
WIDTH = 340.0
LEFT = 30.0  # room for the y-axis labels
RIGHT = 14.0  # room for half of the last day's label
PLOT_WIDTH = WIDTH - LEFT - RIGHT
FONT = 12.0
LEGEND_ROW = 18.0
PANEL_GAP = 10.0
CHAR_WIDTH = FONT * 0.6  # a generous estimate, for legends and labels that must not collide
MAX_X_LABELS = 7

NO_ENTRY = "no entry"


@dataclass(frozen=True)
class DateAxis:
    """Local calendar days from ``start`` to ``end``, both inclusive, one slot each."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A date axis ends on or after its start.")

    @classmethod
    def ending(cls, end: date, days: int) -> "DateAxis":
        return cls(start=end - timedelta(days=days - 1), end=end)

    @property
    def count(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.count)]

    @property
    def slot(self) -> float:
        return PLOT_WIDTH / self.count

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def x(self, day: date) -> float:
        """The centre of the day's slot."""
        return LEFT + ((day - self.start).days + 0.5) * self.slot

    def ticks(self) -> list[date]:
        """Labelled days, counted back from the last one so it always has a label."""
        step = next(s for s in (1, 2, 7, 14, 28, 56, 91, 182) if self.count / s <= MAX_X_LABELS)
        if self.count / step > MAX_X_LABELS:  # a window longer than a year
            step = math.ceil(self.count / MAX_X_LABELS)
        return sorted(self.end - timedelta(days=i) for i in range(0, self.count, step))

    def label(self, day: date) -> list[str]:
        """A tick's label, in lines: a week reads ``Sun`` over ``29``; longer, ``29 Mar``."""
        if self.count <= 7:
            return [format_date(day, "D"), format_date(day, "j")]
        return [format_date(day, "j M")]

    def describe(self) -> str:
        return f"{long_date(self.start)} to {long_date(self.end)}"


@dataclass(frozen=True)
class Chart:
    key: str
    heading: str
    title: str
    description: str
    svg: SafeString
    # The text alternative: one row per day with data, newest first.
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def long_date(day: date) -> str:
    return format_date(day, "j F Y")


def short_date(day: date) -> str:
    return format_date(day, "D j M")


def _n(value: float) -> str:
    """A coordinate, short: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class _Panel:
    """One plot area: its vertical scale on a shared date axis."""

    group: ET.Element
    top: float
    height: float
    low: float
    high: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, value: Number) -> float:
        clamped = min(max(float(value), self.low), self.high)
        return self.top + self.height * (self.high - clamped) / (self.high - self.low)


LegendItem = tuple[str, str, str]  # (shape, css class, label)


class _Drawing:
    """An ``<svg role="img">`` with a title and a description, and panels stacked down it."""

    def __init__(self, *, axis: DateAxis, key: str, title: str, description: str) -> None:
        self.axis = axis
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "class": f"chart trend-chart trend-{key}",
                "role": "img",
                "aria-labelledby": f"{key}-chart-title {key}-chart-desc",
                "data-start": axis.start.isoformat(),
                "data-end": axis.end.isoformat(),
            },
        )
        ET.SubElement(self.root, "title", {"id": f"{key}-chart-title"}).text = title
        ET.SubElement(self.root, "desc", {"id": f"{key}-chart-desc"}).text = description
        self.cursor = 0.0

    def panel(
        self,
        *,
        legend: Sequence[LegendItem],
        low: float,
        high: float,
        ticks: Iterable[tuple[float, str]],
        height: float,
    ) -> _Panel:
        group = ET.SubElement(self.root, "g", {"class": "panel"})
        self._legend(group, legend)
        panel = _Panel(group=group, top=self.cursor + 4, height=height, low=low, high=high)
        for day in self.axis.ticks():
            x = _n(self.axis.x(day))
            ET.SubElement(
                group,
                "line",
                {"class": "grid", "x1": x, "x2": x, "y1": _n(panel.top), "y2": _n(panel.bottom)},
            )
        for value, text in ticks:
            y = panel.y(value)
            ET.SubElement(
                group,
                "line",
                {
                    "class": "grid",
                    "x1": _n(LEFT),
                    "x2": _n(WIDTH - RIGHT),
                    "y1": _n(y),
                    "y2": _n(y),
                },
            )
            label = ET.SubElement(
                group,
                "text",
                {"x": _n(LEFT - 4), "y": _n(y + FONT / 3), "text-anchor": "end"},
            )
            label.text = text
        ET.SubElement(
            group,
            "line",
            {
                "class": "axis",
                "x1": _n(LEFT),
                "x2": _n(WIDTH - RIGHT),
                "y1": _n(panel.bottom),
                "y2": _n(panel.bottom),
                "stroke": "currentColor",
            },
        )
        self.cursor = panel.bottom + PANEL_GAP
        return panel

    def _legend(self, group: ET.Element, items: Sequence[LegendItem]) -> None:
        """Shape and label of each series, wrapping onto more rows on a narrow chart."""
        legend = ET.SubElement(group, "g", {"class": "legend"})
        x, row = LEFT, 0
        for shape, css, text in items:
            width = 14 + len(text) * CHAR_WIDTH + 10
            if x > LEFT and x + width > WIDTH:
                x, row = LEFT, row + 1
            y = self.cursor + row * LEGEND_ROW + LEGEND_ROW / 2
            _shape(legend, shape, css, x + 5, y, 4.5)
            label = ET.SubElement(legend, "text", {"x": _n(x + 14), "y": _n(y + FONT / 3)})
            label.text = text
            x += width
        self.cursor += (row + 1) * LEGEND_ROW

    def finish(self) -> SafeString:
        """Label the date ticks under the last panel, and size the drawing to fit."""
        group = ET.SubElement(self.root, "g", {"class": "x-labels"})
        top = self.cursor - PANEL_GAP + FONT + 4
        lines = 1
        right_edge = WIDTH + CHAR_WIDTH  # the last label always stays; earlier ones make room
        for day in reversed(self.axis.ticks()):
            x = self.axis.x(day)
            text = self.axis.label(day)
            half = max(len(line) for line in text) * CHAR_WIDTH / 2
            anchor, at = "middle", x
            if x + half > WIDTH:
                anchor, at = "end", WIDTH - 1
            elif x - half < 0:
                anchor, at = "start", 1.0
            start = {"middle": at - half, "end": at - 2 * half, "start": at}[anchor]
            if start + 2 * half + 2 > right_edge:
                continue
            right_edge = start
            label = ET.SubElement(
                group,
                "text",
                {"x": _n(at), "y": _n(top), "text-anchor": anchor, "data-tick": day.isoformat()},
            )
            for number, line in enumerate(text):
                span = ET.SubElement(
                    label, "tspan", {"x": _n(at), "dy": "0" if not number else "1.15em"}
                )
                span.text = line
            lines = max(lines, len(text))
        height = top + (lines - 1) * FONT * 1.15 + 6
        self.root.set("viewBox", f"0 0 {_n(WIDTH)} {_n(height)}")
        # ElementTree escapes every text and attribute value, and the markup is ours.
        return mark_safe(ET.tostring(self.root, encoding="unicode"))  # noqa: S308  # nosec B308 B703


def _shape(parent: ET.Element, shape: str, css: str, x: float, y: float, r: float) -> ET.Element:
    if shape == "circle":
        return ET.SubElement(parent, "circle", {"class": css, "cx": _n(x), "cy": _n(y), "r": _n(r)})
    if shape == "square":
        return ET.SubElement(
            parent,
            "rect",
            {
                "class": css,
                "x": _n(x - r * 0.85),
                "y": _n(y - r * 0.85),
                "width": _n(r * 1.7),
                "height": _n(r * 1.7),
            },
        )
    if shape == "bar":
        return ET.SubElement(
            parent,
            "rect",
            {"class": css, "x": _n(x - r), "y": _n(y - r), "width": _n(2 * r), "height": _n(2 * r)},
        )
    # Polygons list their top vertex first, so their first x is the centre.
    if shape == "diamond":
        points = [(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)]
    elif shape == "triangle":
        points = [(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)]
    elif shape == "down-triangle":
        points = [(x, y + r), (x - r, y - r * 0.8), (x + r, y - r * 0.8)]
    else:
        raise ValueError(f"Unknown shape {shape!r}.")
    return ET.SubElement(
        parent,
        "polygon",
        {"class": css, "points": " ".join(f"{_n(px)},{_n(py)}" for px, py in points)},
    )


def _mark_size(axis: DateAxis) -> float:
    return min(3.5, max(1.8, axis.slot * 0.38))


def _in_axis(axis: DateAxis, values: Mapping[date, Number]) -> list[tuple[date, Number]]:
    return sorted((day, value) for day, value in values.items() if day in axis)


def _line(panel: _Panel, axis: DateAxis, values: Mapping[date, Number], css: str) -> None:
    """A line through consecutive days; a missing day breaks it."""
    runs: list[list[tuple[float, float]]] = []
    previous: date | None = None
    for day, value in _in_axis(axis, values):
        point = (axis.x(day), panel.y(value))
        if previous is not None and day - previous == timedelta(days=1):
            runs[-1].append(point)
        else:
            runs.append([point])
        previous = day
    commands = ["M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in run) for run in runs if len(run) > 1]
    if commands:
        ET.SubElement(
            panel.group,
            "path",
            {"class": css, "d": " ".join(commands), "fill": "none", "stroke": "currentColor"},
        )


def _points(
    panel: _Panel,
    axis: DateAxis,
    values: Iterable[tuple[date, Number]],
    *,
    shape: str,
    css: str,
) -> None:
    size = _mark_size(axis)
    group = ET.SubElement(panel.group, "g", {"class": f"marks {css}"})
    for day, value in sorted(values):
        if day in axis:
            mark = _shape(group, shape, css, axis.x(day), panel.y(value), size)
            mark.set("data-date", day.isoformat())
            mark.set("data-value", str(value))


def _bars(panel: _Panel, axis: DateAxis, values: Mapping[date, Number], css: str) -> None:
    """A bar per day; a day at zero gets a ring on the baseline, a missing day nothing."""
    width = min(axis.slot * 0.7, 18.0)
    group = ET.SubElement(panel.group, "g", {"class": f"marks {css}"})
    for day, value in _in_axis(axis, values):
        x = axis.x(day)
        if value:
            top = panel.y(value)
            mark = ET.SubElement(
                group,
                "rect",
                {
                    "class": css,
                    "x": _n(x - width / 2),
                    "y": _n(top),
                    "width": _n(width),
                    "height": _n(max(panel.bottom - top, 0.5)),
                },
            )
        else:
            mark = _shape(group, "circle", "zero-mark", x, panel.bottom - 2.5, _mark_size(axis))
        mark.set("data-date", day.isoformat())
        mark.set("data-value", str(value))


def _nice_ceiling(value: float, minimum: float) -> float:
    """A round top for an axis whose half is a round number too (6, 8, 10, 12, 16, 20, …)."""
    value = max(value, minimum)
    magnitude = 10.0 ** math.floor(math.log10(value))
    for mantissa in (1, 1.2, 1.6, 2, 3, 4, 6, 8, 10):
        if mantissa * magnitude >= value:
            return mantissa * magnitude
    return 10 * magnitude  # pragma: no cover: the last mantissa always fits


def _halves(top: float, low: float = 0) -> list[tuple[float, str]]:
    return [(v, format(v, "g")) for v in (low, (low + top) / 2, top)]


def _in_window(axis: DateAxis, days: Iterable[date]) -> list[date]:
    return sorted({day for day in days if day in axis}, reverse=True)


# The charts.


def pain_chart(
    *,
    axis: DateAxis,
    daily_nrs: Mapping[date, Number],
    peg_scores: Sequence[tuple[date, Number]] = (),
    key: str = "pain",
) -> Chart:
    """Daily pain (mean NRS of the day) as a line with circles; PEG scores as diamonds."""
    nrs = _in_axis(axis, daily_nrs)
    pegs = sorted((day, score) for day, score in peg_scores if day in axis)
    title = f"Pain, {axis.describe()}"
    parts = []
    if nrs:
        values = [float(v) for _, v in nrs]
        last_day, last = nrs[-1]
        parts.append(
            f"Daily pain on a scale of 0 to 10, entries on {len(nrs)} of {axis.count} days: "
            f"lowest {format_decimal(min(values))}, highest {format_decimal(max(values))}, "
            f"most recent {format_decimal(last)} on {long_date(last_day)}."
        )
    else:
        parts.append("No daily pain entries.")
    if pegs:
        last_day, last = pegs[-1]
        parts.append(
            f"{len(pegs)} PEG score{'s' if len(pegs) != 1 else ''}, "
            f"most recent {format_decimal(last)} on {long_date(last_day)}."
        )
    else:
        parts.append("No PEG scores.")
    description = " ".join(parts)

    drawing = _Drawing(axis=axis, key=key, title=title, description=description)
    panel = drawing.panel(
        legend=[
            ("circle", "nrs", "Daily pain (0–10)"),
            ("diamond", "peg", "Weekly PEG score"),
        ],
        low=0,
        high=10,
        ticks=_halves(10),
        height=110,
    )
    _line(panel, axis, daily_nrs, "nrs-line")
    _points(panel, axis, nrs, shape="circle", css="nrs")
    _points(panel, axis, pegs, shape="diamond", css="peg")

    peg_by_day: dict[date, list[str]] = {}
    for day, score in pegs:
        peg_by_day.setdefault(day, []).append(format_decimal(score))
    rows = tuple(
        (
            short_date(day),
            format_decimal(daily_nrs[day]) if day in daily_nrs else NO_ENTRY,
            ", ".join(peg_by_day[day]) if day in peg_by_day else NO_ENTRY,
        )
        for day in _in_window(axis, [*daily_nrs, *peg_by_day])
    )
    return Chart(
        key=key,
        heading="Pain",
        title=title,
        description=description,
        svg=drawing.finish(),
        columns=("Date", "Daily pain (0–10)", "PEG score (0–10)"),
        rows=rows,
    )


def sleep_chart(
    *,
    axis: DateAxis,
    total_sleep_min: Mapping[date, Number],
    efficiency_pct: Mapping[date, Number],
    quality: Mapping[date, int],
    key: str = "sleep",
) -> Chart:
    """Per night, on the date of the evening it began: total sleep as bars (hours),
    efficiency as a line with squares (0–100 %), and quality as triangles (1–5)."""
    nights = _in_window(axis, [*total_sleep_min, *efficiency_pct, *quality])
    title = f"Sleep, {axis.describe()}"
    if nights:
        minutes = [float(v) for _, v in _in_axis(axis, total_sleep_min)]
        efficiencies = [float(v) for _, v in _in_axis(axis, efficiency_pct)]
        ratings = [float(v) for _, v in _in_axis(axis, quality)]
        parts = [f"Sleep diaries for {len(nights)} of {axis.count} nights"]
        if minutes:
            parts.append(f"average total sleep {format_minutes(sum(minutes) / len(minutes))}")
        if efficiencies:
            average = sum(efficiencies) / len(efficiencies)
            parts.append(f"average sleep efficiency {format_decimal(average)}%")
        if ratings:
            parts.append(f"average quality {format_decimal(sum(ratings) / len(ratings))} of 5")
        summary = ", ".join(parts) + "."
    else:
        summary = "No sleep diaries."
    description = f"Each night is shown on the date of the evening it began. {summary}"

    drawing = _Drawing(axis=axis, key=key, title=title, description=description)
    hours = {day: float(v) / 60 for day, v in total_sleep_min.items()}
    top = _nice_ceiling(max((h for d, h in hours.items() if d in axis), default=0), 12)
    sleep = drawing.panel(
        legend=[("bar", "sleep-bar", "Total sleep (hours)")],
        low=0,
        high=top,
        ticks=_halves(top),
        height=80,
    )
    _bars(sleep, axis, hours, "sleep-bar")
    efficiency = drawing.panel(
        legend=[("square", "efficiency", "Sleep efficiency (%)")],
        low=0,
        high=100,
        ticks=_halves(100),
        height=70,
    )
    _line(efficiency, axis, efficiency_pct, "efficiency-line")
    _points(efficiency, axis, efficiency_pct.items(), shape="square", css="efficiency")
    rated = drawing.panel(
        legend=[("triangle", "quality", "Quality (1 very poor – 5 very good)")],
        low=0.5,
        high=5.5,
        ticks=[(1, "1"), (3, "3"), (5, "5")],
        height=50,
    )
    _points(rated, axis, quality.items(), shape="triangle", css="quality")

    rows = tuple(
        (
            short_date(day),
            format_minutes(total_sleep_min[day]) if day in total_sleep_min else NO_ENTRY,
            f"{format_decimal(efficiency_pct[day])}%" if day in efficiency_pct else NO_ENTRY,
            f"{quality[day]} ({SleepQuality(quality[day]).label})" if day in quality else NO_ENTRY,
        )
        for day in nights
    )
    return Chart(
        key=key,
        heading="Sleep",
        title=title,
        description=description,
        svg=drawing.finish(),
        columns=("Night of", "Total sleep", "Sleep efficiency", "Quality (1–5)"),
        rows=rows,
    )


def kratom_chart(
    *,
    axis: DateAxis,
    leaf_g: Mapping[date, Number],
    marked_days: Collection[date] = (),
    marked_label: str = "",
    key: str = "kratom",
) -> Chart:
    """Kratom leaf grams per day as bars; a logged day without leaf kratom as a ring on the
    baseline; a day not in ``leaf_g`` as nothing. ``marked_days`` (say, days with alcohol)
    get a triangle above the plot, labelled ``marked_label`` in the legend and the table."""
    days = _in_axis(axis, leaf_g)
    marked = sorted(day for day in set(marked_days) if day in axis)
    title = f"Kratom leaf grams per day, {axis.describe()}"
    used = [(day, float(v)) for day, v in days if v]
    if days:
        summary = f"Entries on {len(days)} of {axis.count} days, kratom leaf on {len(used)} of them"
        if used:
            most_day, most = max(used, key=lambda pair: (pair[1], pair[0]))
            summary += f"; highest {format_decimal(most)} g on {long_date(most_day)}"
        summary += "."
    else:
        summary = "No entries."
    if marked and marked_label:
        summary += f" {marked_label}: {len(marked)} day{'s' if len(marked) != 1 else ''}."
    description = (
        f"Powder, capsules and tea in grams; extract and 7-OH products are not included. {summary}"
    )

    drawing = _Drawing(axis=axis, key=key, title=title, description=description)
    legend: list[LegendItem] = [
        ("bar", "kratom-bar", "Kratom leaf (g)"),
        ("circle", "zero-mark", "Logged, no leaf kratom"),
    ]
    if marked:
        legend.append(("down-triangle", "day-marker", marked_label or "Marked day"))
    top = _nice_ceiling(max((g for _, g in used), default=0), 10)
    panel = drawing.panel(legend=legend, low=0, high=top, ticks=_halves(top), height=90)
    _bars(panel, axis, leaf_g, "kratom-bar")
    if marked:
        group = ET.SubElement(panel.group, "g", {"class": "marks day-marker"})
        for day in marked:
            mark = _shape(
                group, "down-triangle", "day-marker", axis.x(day), panel.top + 3, _mark_size(axis)
            )
            mark.set("data-date", day.isoformat())

    columns: tuple[str, ...] = ("Date", "Kratom leaf (g)")
    if marked:
        columns = (*columns, marked_label or "Marked day")
    rows = tuple(
        (
            short_date(day),
            format_decimal(leaf_g[day]) if day in leaf_g else NO_ENTRY,
            *(("yes" if day in marked else "",) if marked else ()),
        )
        for day in _in_window(axis, [*leaf_g, *marked])
    )
    return Chart(
        key=key,
        heading="Kratom leaf",
        title=title,
        description=description,
        svg=drawing.finish(),
        columns=columns,
        rows=rows,
    )


def journal_charts(
    *,
    axis: DateAxis,
    series: "TrendSeries",
    marked_days: Collection[date] = (),
    marked_label: str = "",
) -> list[Chart]:
    """Pain, sleep and kratom leaf of one series, on one axis, in that order; ``marked_days``
    are marked on the kratom chart (see ``kratom_chart``)."""
    return [
        pain_chart(axis=axis, daily_nrs=series.pain_nrs, peg_scores=series.peg_scores),
        sleep_chart(
            axis=axis,
            total_sleep_min=series.total_sleep_min,
            efficiency_pct=series.sleep_efficiency_pct,
            quality=series.sleep_quality,
        ),
        kratom_chart(
            axis=axis,
            leaf_g=series.kratom_leaf_g,
            marked_days=marked_days,
            marked_label=marked_label,
        ),
    ]

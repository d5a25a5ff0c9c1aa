"""QtCharts charts for the dashboard, built from plain values: lines over weeks, and bars.

Each chart is drawn from the same values as the table beside it. Colours are NHS identity colours
and each line also differs by its dash, so a chart read in greyscale, or by a colour-blind lead,
still tells its lines apart; the legend names them and the table says it all in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCharts import (
    QAbstractAxis,
    QAreaSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QDateTimeAxis,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, QMargins, Qt, QTime
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QApplication

BLUE = "#005EB8"
DARK_BLUE = "#003087"
DARK_GREY = "#212B32"
MID_GREY = "#768692"
GREEN = "#007F3B"
LIGHT_BLUE = "#41B6E6"
YELLOW = "#FFB81C"
RED = "#D5281B"
PURPLE = "#330072"
PALETTE = (BLUE, YELLOW, GREEN, RED, PURPLE, MID_GREY, LIGHT_BLUE, DARK_BLUE)

Point = tuple[date, float]


@dataclass(frozen=True)
class Line:
    name: str
    points: Sequence[Point]
    colour: str = BLUE
    dash: Qt.PenStyle = Qt.PenStyle.SolidLine
    width: float = 2.5


@dataclass(frozen=True)
class Band:
    """A shaded range between two lines over the same weeks (a prediction interval)."""

    name: str
    lower: Sequence[Point]
    upper: Sequence[Point]
    colour: str = BLUE


@dataclass(frozen=True)
class Bars:
    name: str
    values: Sequence[float]
    colour: str = BLUE


@dataclass(frozen=True)
class CategoryLine:
    """A line over a bar chart's categories (forecast demand over the weeks' free places)."""

    name: str
    values: Sequence[float | None]
    colour: str = DARK_GREY
    dash: Qt.PenStyle = Qt.PenStyle.DashLine


@dataclass(frozen=True)
class Axis:
    title: str
    percent: bool = False  # values are per cent (92.0, not 0.92): labelled "92%"
    whole: bool = True  # whole numbers only (counts)
    bounds: tuple[float, float] | None = None  # fixed range; else 0 to a little above the data


def x_of(day: date) -> float:
    """A date as QDateTimeAxis counts: milliseconds since the epoch at local midnight (the axis
    labels in local time, so a UTC midnight would be labelled the day before west of Greenwich)."""
    return float(_qdt(day).toMSecsSinceEpoch())


def day_of(x: float) -> date:
    """The date a point's x stands for (the inverse of x_of)."""
    d = QDateTime.fromMSecsSinceEpoch(round(x)).date()
    return date(d.year(), d.month(), d.day())


def _font(scale: float = 1.0, bold: bool = False) -> QFont:
    font = QFont(QApplication.font())
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * scale)
    font.setBold(bold)
    return font


def new_chart() -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # painted at once, every time
    chart.setTheme(QChart.ChartTheme.ChartThemeLight)
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.legend().setFont(_font(0.85))
    chart.legend().setLabelColor(QColor(DARK_GREY))
    return chart


def _value_axis(axis: Axis, top: float) -> QValueAxis:
    y = QValueAxis()
    y.setTitleText(axis.title)
    y.setTitleFont(_font(0.85))
    y.setLabelsFont(_font(0.85))
    y.setLabelsColor(QColor(DARK_GREY))
    if axis.bounds is not None:
        y.setRange(*axis.bounds)
    else:
        # Counts of nothing yet (a morning's calls) still get a 0-5 scale, not 0, 0.2, 0.4 labelled "0".
        y.setRange(0, max(top * 1.1, 5.0 if axis.whole else 1.0))
        y.applyNiceNumbers()
    if axis.percent:
        y.setLabelFormat("%.0f%%")
    elif axis.whole:
        y.setLabelFormat("%.0f")
    return y


def _attach(chart: QChart, series: object, *axes: QAbstractAxis) -> None:
    chart.addSeries(series)  # type: ignore[arg-type]
    for axis in axes:
        series.attachAxis(axis)  # type: ignore[attr-defined]


def _line_series(line: Line) -> QLineSeries:
    series = QLineSeries()
    series.setName(line.name)
    for day, value in line.points:
        series.append(x_of(day), float(value))
    pen = QPen(QColor(line.colour))
    pen.setWidthF(line.width)
    pen.setStyle(line.dash)
    series.setPen(pen)
    return series


def week_lines(
    lines: Sequence[Line],
    y: Axis,
    *,
    bands: Sequence[Band] = (),
    reference: tuple[str, float] | None = None,
    date_format: str = "dd MMM yy",
) -> QChart:
    """Lines over dates (weeks), shaded bands behind them (widest first), an optional level to meet."""
    chart = new_chart()
    days = [d for line in lines for d, _ in line.points]
    values = [v for line in lines for _, v in line.points]
    for band in bands:
        days += [d for d, _ in band.lower] + [d for d, _ in band.upper]
        values += [v for _, v in band.upper]
    if reference is not None:
        values.append(reference[1])
    x = QDateTimeAxis()
    x.setFormat(date_format)
    x.setLabelsFont(_font(0.85))
    x.setLabelsColor(QColor(DARK_GREY))
    x.setTickCount(7)
    if days:
        x.setRange(_qdt(min(days)), _qdt(max(days)))
    y_axis = _value_axis(y, max(values, default=0.0))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    for band in bands:
        if not band.lower:
            continue
        lower = _line_series(Line(f"{band.name} (lower)", band.lower, band.colour, width=0.5))
        upper = _line_series(Line(f"{band.name} (upper)", band.upper, band.colour, width=0.5))
        area = QAreaSeries(upper, lower)
        for edge_series in (upper, lower):
            edge_series.setParent(area)  # the area draws from them: they live as long as it does
        area.setName(band.name)
        fill = QColor(band.colour)
        fill.setAlpha(55)
        area.setBrush(QBrush(fill))
        edge = QPen(QColor(band.colour))
        edge.setWidthF(0.5)
        area.setPen(edge)
        _attach(chart, area, x, y_axis)
    for line in lines:
        if line.points:
            _attach(chart, _line_series(line), x, y_axis)
    if reference is not None and days:
        name, level = reference
        ref = _line_series(
            Line(name, [(min(days), level), (max(days), level)], RED, Qt.PenStyle.DotLine, width=2.0)
        )
        _attach(chart, ref, x, y_axis)
    return chart


def _qdt(day: date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0))


def bars(
    categories: Sequence[str],
    sets: Sequence[Bars],
    y: Axis,
    *,
    stacked: bool = False,
    lines: Sequence[CategoryLine] = (),
) -> QChart:
    """Bars per category (stacked or side by side), with optional lines across the categories."""
    chart = new_chart()
    series = QStackedBarSeries() if stacked else QBarSeries()
    for spec in sets:
        bar_set = QBarSet(spec.name)
        bar_set.append([float(v) for v in spec.values])
        bar_set.setColor(QColor(spec.colour))
        bar_set.setBorderColor(QColor("#FFFFFF"))
        series.append(bar_set)
    if stacked:
        heights = [sum(float(s.values[i]) for s in sets) for i in range(len(categories))]
    else:
        heights = [float(v) for s in sets for v in s.values]
    heights += [float(v) for line in lines for v in line.values if v is not None]
    x = QBarCategoryAxis()
    x.append(list(categories))
    x.setLabelsFont(_font(0.8))
    x.setLabelsColor(QColor(DARK_GREY))
    if len(categories) > 10:  # weeks: short labels, turned so all of them fit
        x.setLabelsAngle(-45)
        x.setTruncateLabels(False)
    y_axis = _value_axis(y, max(heights, default=0.0))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    _attach(chart, series, x, y_axis)
    for line in lines:
        s = QLineSeries()
        s.setName(line.name)
        for i, v in enumerate(line.values):
            if v is not None:
                s.append(float(i), float(v))
        pen = QPen(QColor(line.colour))
        pen.setWidthF(2.5)
        pen.setStyle(line.dash)
        s.setPen(pen)
        s.setPointsVisible(True)
        _attach(chart, s, x, y_axis)
    return chart

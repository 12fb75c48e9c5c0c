"""Horizontal bar charts of the support report's tables, as geometry for inline SVG drawn on the
server (no script). Each chart is a picture of its table; the table beside it has the numbers."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.reporting.tables import Cell, Table

#: table -> (columns that label a row, columns drawn as bars, unit)
SPECS: dict[str, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    "volume": ((0,), (1, 2), ""),
    "outcomes": ((0,), (3,), "%"),
    "escalations": ((0,), (3,), "%"),
    "times": ((0,), (2, 3), " h"),
    "states": ((0,), (2, 3), " h"),
    "compliance": ((0, 1), (4,), "%"),
    "signatures": ((0,), (2,), ""),
    "incidents": ((0,), (2,), " h"),
    "load": ((0,), (2, 5), ""),
}
LABEL_WIDTH = 230
PLOT_WIDTH = 380
BAR = 14
GAP = 10
MAX_ROWS = 40


@dataclass(frozen=True)
class Bar:
    series: int
    y: int
    width: float
    text: str


@dataclass(frozen=True)
class Row:
    label: str
    y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    width: int
    height: int
    label_width: int
    series: list[str]
    rows: list[Row]


def _number(cell: Cell) -> float | None:
    return float(cell) if isinstance(cell, int | float) and not isinstance(cell, bool) else None


def _text(value: float, unit: str) -> str:
    shown = f"{value:g}" if value == int(value) else f"{value:.1f}"
    return f"{shown}{unit}"


def chart_of(table: Table) -> Chart | None:
    """The bars of ``table`` (None when it has no spec or no number to draw)."""
    spec = SPECS.get(table.name)
    if spec is None:
        return None
    labels, values, unit = spec
    rows = table.rows[:MAX_ROWS]
    numbers = [_number(r[i]) for r in rows for i in values]
    top = max((n for n in numbers if n is not None), default=0.0)
    if not rows or top <= 0:
        return None
    out: list[Row] = []
    y = GAP
    for row in rows:
        label = " · ".join(str(row[i]) for i in labels)[:40]
        bars = []
        for series, column in enumerate(values):
            n = _number(row[column])
            text = "\u2013" if n is None else _text(n, unit)
            width = 0.0 if n is None else round(PLOT_WIDTH * n / top, 1)
            bars.append(Bar(series, y + series * BAR, width, text))
        out.append(Row(label, y, bars))
        y += BAR * len(values) + GAP
    return Chart(
        name=table.name,
        title=table.title,
        width=LABEL_WIDTH + PLOT_WIDTH + 70,
        height=y,
        label_width=LABEL_WIDTH,
        series=[table.columns[i].replace("_", " ") for i in values],
        rows=out,
    )

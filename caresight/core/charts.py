"""Charts as SVG (matplotlib), always shown with a table of the same figures beside them.

The same SVG goes into pages, PDFs and Word documents. Text stays text in the SVG, so it
scales and can be read by search and screen magnifiers; the table is the accessible version.
"""

import datetime as dt
import html
import io
import re
import threading
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: draw to files only
import matplotlib.dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# GOV.UK Design System colours that keep 3:1 contrast against white, in a fixed order.
COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#505a5f"]
_lock = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe

matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif",
                            "font.sans-serif": ["Arial", "Liberation Sans", "DejaVu Sans"],
                            "svg.hashsalt": "caresight"})


def line_chart_svg(*, dates: Sequence[dt.date], series: Sequence[tuple[str, Sequence]],
                   y_label: str = "", percent: bool = False) -> str:
    """Lines over time; gaps (None) break a line rather than pretending to be zero."""
    return _svg(_line_figure(dates=dates, series=series, y_label=y_label, percent=percent))


def line_chart_png(*, dates: Sequence[dt.date], series: Sequence[tuple[str, Sequence]],
                   y_label: str = "", percent: bool = False) -> bytes:
    """The same chart as a PNG, for Word documents (which draw no SVG everywhere)."""
    figure = _line_figure(dates=dates, series=series, y_label=y_label, percent=percent)
    out = io.BytesIO()
    with _lock:
        figure.savefig(out, format="png", dpi=150, metadata={"Software": None})
    return out.getvalue()


def _line_figure(*, dates: Sequence[dt.date], series: Sequence[tuple[str, Sequence]],
                 y_label: str, percent: bool) -> Figure:
    figure = Figure(figsize=(7.5, 3.2), dpi=96)
    axes = figure.add_subplot()
    x = mdates.date2num(list(dates))
    for index, (label, values) in enumerate(series):
        axes.plot(x, [float("nan") if v is None else float(v) for v in values],
                  label=label, color=COLOURS[index % len(COLOURS)], marker="o", markersize=3,
                  linewidth=2)
    if len(set(dates)) < 2 and dates:  # one day: give the axis some width to place it in
        axes.set_xlim(mdates.date2num(min(dates) - dt.timedelta(days=3)),
                      mdates.date2num(max(dates) + dt.timedelta(days=3)))
    axes.set_ylabel(y_label)
    axes.set_ylim(bottom=0, top=100 if percent else None)
    axes.grid(axis="y", color="#b1b4b6", linewidth=0.5)
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    if len(series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>[^<]*</style>")


def _presentation_attributes(match: re.Match) -> str:
    """`style="fill: #fff; stroke-width: 0.8"` as `fill="#fff" stroke-width="0.8"`."""
    pairs = (part.split(":", 1) for part in html.unescape(match.group(1)).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{html.escape(value.strip())}"' for name, value in pairs)


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    with _lock:
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    # Keep the <svg> element only: the page supplies the figure's name and the table.
    text = text[text.index("<svg"):]
    # Pages allow no inline style (Content-Security-Policy), so matplotlib's style attributes
    # become SVG presentation attributes, and its one style element (round line joins) an
    # attribute of the <svg> that every line inherits.
    text = _STYLE_ELEMENT.sub("", _STYLE_ATTRIBUTE.sub(_presentation_attributes, text))
    return text.replace("<svg ", '<svg aria-hidden="true" focusable="false" '
                        'stroke-linejoin="round" stroke-linecap="butt" ', 1)

"""What makes a worksheet print as a clerk expects: wrapped text in rows tall enough for it, borders, titles that
repeat on every page, landscape or portrait A4 one page wide, and figures as numbers and days as dates.

Excel does not grow a row to fit wrapped text that openpyxl wrote (it only does so when a person edits the
cell), so a printed list overlapped its own lines: the heights are computed here from the text and the column
widths. A CJK character is about two of Excel's width units (the width of "0"), anything else one.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(vertical="center", wrap_text=True)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
BODY = Font(name="仿宋_GB2312", size=11)
HEAD = Font(name="黑体", size=11, bold=True)
TITLE = Font(name="方正小标宋简体", size=18, bold=True)
DAY_FORMAT = 'yyyy"年"m"月"d"日"'
LINE_POINTS = 15.0  # one line of 11-point text, with Excel's leading


def text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def lines_needed(text: str, column_width: float) -> int:
    usable = max(column_width - 1.5, 1.0)  # the cell's padding
    return sum(max(1, math.ceil(text_width(line) / usable)) for line in text.split("\n"))


def fit_row(ws: Any, row: int, *, minimum: float = 20.0, merged_widths: dict[int, float] | None = None) -> None:
    """Set the row's height to the tallest wrapped cell in it. merged_widths: a merged cell's total width,
    by its first column."""
    tallest = 1
    for cell in ws[row]:
        if cell.value is None or not isinstance(cell.value, str):
            continue
        width = (merged_widths or {}).get(cell.column) or ws.column_dimensions[get_column_letter(cell.column)].width or 8.43
        tallest = max(tallest, lines_needed(cell.value, width))
    ws.row_dimensions[row].height = max(minimum, tallest * LINE_POINTS + 4)


def set_widths(ws: Any, widths: tuple[float, ...]) -> None:
    for n, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(n)].width = width


def title_row(ws: Any, title: str, columns: int) -> None:
    ws.append([title])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=columns)
    cell = ws.cell(ws.max_row, 1)
    cell.font, cell.alignment = TITLE, CENTRE
    ws.row_dimensions[ws.max_row].height = 36


def header_row(ws: Any, labels: tuple[str, ...] | list[str]) -> None:
    ws.append(list(labels))
    for cell in ws[ws.max_row]:
        cell.font, cell.alignment, cell.border = HEAD, CENTRE, BOX
    fit_row(ws, ws.max_row, minimum=30)


def body_row(ws: Any, values: list[Any], *, centred: frozenset[int] = frozenset(), formats: dict[int, str] | None = None
             ) -> None:
    """A row of the list: boxed, wrapped, as tall as its text; `formats` by 1-based column (dates, amounts)."""
    ws.append(values)
    row = ws.max_row
    for cell in ws[row]:
        cell.border, cell.font = BOX, BODY
        cell.alignment = CENTRE if cell.column in centred else WRAP
        if isinstance(cell.value, date):
            cell.number_format = DAY_FORMAT
        if formats and cell.column in formats:
            cell.number_format = formats[cell.column]
    fit_row(ws, row)


def print_setup(ws: Any, *, landscape: bool, title_rows: str | None = None) -> None:
    """A4, one page wide and as many pages long as it takes, the header repeated on each page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def as_day(text: str | None) -> date | str | None:
    """A stored YYYY-MM-DD as a date cell; anything else (即查即改, empty) as it is."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text

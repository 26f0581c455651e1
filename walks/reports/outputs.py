"""What a recipient gets: the items of a report as rows, CSV, XLSX and PDF (ReportLab)."""
from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image, UnidentifiedImageError

from maps.static import static_map_png

from .. import geo
from ..capture import metoo
from ..categories.service import theme_name
from ..models import FaultReport, FaultReportItem, Photo
from ..spreadsheets import safe_cell
from .forms import STATUS_LABELS

PDF_PHOTO_PX = 512  # long side of a photo in the PDF: 150 dpi at 8.4 cm, and a quarter of 2048 px
PDF_PHOTO_QUALITY = 70
PDF_PHOTOS_PER_ITEM = 3
MAP_SIZE = (480, 300)
MAP_CELL_M = 150  # items within the same 150 m square share one map in the PDF


@dataclass
class ItemView:
    number: int
    item: FaultReportItem
    category: str
    theme: str
    description: str
    lat: float
    lon: float
    north: float
    east: float
    address: str
    observed_at: str
    photos: list[Photo] = field(default_factory=list)
    metoo: int = 0  # other walkers who said "me too" to this point

    @property
    def observation(self):
        return self.item.observation


def item_views(report: FaultReport, locale: str = "sv") -> list[ItemView]:
    """The items numbered in order of priority: the most "me too" first, then as they were added."""
    seconded = metoo.counts(item.observation_id for item in report.items)
    ordered = sorted(report.items, key=lambda item: -seconded.get(item.observation_id, 0))
    views = []
    for number, item in enumerate(ordered, start=1):
        observation = item.observation
        north, east = geo.to_sweref99tm(observation.lat, observation.lon)
        views.append(ItemView(
            number=number, item=item, category=observation.category.name(locale),
            theme=theme_name(observation.category.theme, locale), description=observation.text,
            lat=round(observation.lat, 6), lon=round(observation.lon, 6), north=north, east=east,
            address=observation.address, observed_at=format_datetime(observation.observed_at, "yyyy-MM-dd HH:mm"),
            photos=list(observation.photos), metoo=seconded.get(item.observation_id, 0)))
    return views


def photo_path(photo: Photo) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / photo.filename


# --- CSV and XLSX -----------------------------------------------------------------------------------

def _columns():
    return [_("Reference"), _("No."), _("Category"), _("Description"), _("Latitude (WGS84)"),
            _("Longitude (WGS84)"), _("N (SWEREF 99 TM)"), _("E (SWEREF 99 TM)"), _("Address"),
            _("Observed"), _("Photos"), _("Status"), _("Recipient's id")]


def _row(report: FaultReport, view: ItemView) -> list:
    return [report.reference, view.number, view.category, view.description, view.lat, view.lon,
            view.north, view.east, view.address, view.observed_at, len(view.photos),
            str(STATUS_LABELS.get(view.item.status, view.item.status)),
            view.item.external_id or view.item.external_token]


def items_csv(report: FaultReport, locale: str = "sv") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_columns())
    for view in item_views(report, locale):
        writer.writerow([safe_cell(value) for value in _row(report, view)])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def items_xlsx(report: FaultReport, locale: str = "sv") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.reference[:31]
    sheet.append(_columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for view in item_views(report, locale):
        sheet.append([safe_cell(value) for value in _row(report, view)])
    for letter, width in zip("ABCDEFGHIJKLM", (16, 5, 28, 50, 12, 12, 12, 12, 30, 17, 8, 12, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- maps and photos --------------------------------------------------------------------------------

def map_png(view: ItemView, boundary=None, size=MAP_SIZE) -> bytes | None:
    """A small offline map of the item (maps.static)."""
    points = [(view.lat, view.lon, str(view.number), view.observation.category.color or "#c0392b")]
    return _static_map(points, boundary, size)


def _static_map(points, boundary, size) -> bytes | None:
    try:
        return static_map_png(points, boundary=boundary, width=size[0], height=size[1])
    except Exception:  # noqa: BLE001 – a missing map must not stop a fault report
        logging.getLogger(__name__).exception("static map failed")
        return None


def small_jpeg(path: Path, max_px: int = PDF_PHOTO_PX, quality: int = PDF_PHOTO_QUALITY):
    """(JPEG bytes, width, height) of a stored photo downscaled for print, or None if unreadable.

    libjpeg's draft mode decodes a 2048 px photo straight at 512 px, so there is little to resize.
    """
    try:
        with Image.open(path) as image:
            factor = max_px / max(image.size)
            if factor < 1:  # ask for the exact aspect, or libjpeg picks a larger scale
                image.draft("RGB", (int(image.width * factor), int(image.height * factor)))
            image = image.convert("RGB")
            image.thumbnail((max_px, max_px))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality)
            return out.getvalue(), image.width, image.height
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


# --- PDF --------------------------------------------------------------------------------------------

def map_cells(views: list[ItemView]) -> dict[tuple[int, int], list[ItemView]]:
    """Items grouped by a SWEREF 99 TM grid of MAP_CELL_M: one map shows an item and its neighbours."""
    cells: dict[tuple[int, int], list[ItemView]] = {}
    for view in views:
        cells.setdefault((int(view.north // MAP_CELL_M), int(view.east // MAP_CELL_M)), []).append(view)
    return cells


def _prepare_images(views: list[ItemView], boundary, folder: str, with_maps: bool, with_photos: bool = True):
    """Write the print-size photos and the cell maps to files, in parallel (Pillow releases the GIL).

    Returns ({photo id: (path, w, h)}, {cell: (path, w, h)}, {item number: cell}).
    """
    photos = [(photo.id, photo_path(photo)) for view in views for photo in view.photos[:PDF_PHOTOS_PER_ITEM]
              if with_photos]
    cells = map_cells(views) if with_maps else {}

    def photo_job(entry):
        photo_id, path = entry
        made = small_jpeg(path)
        if made is None:
            return photo_id, None
        target = os.path.join(folder, f"p{photo_id}.jpg")
        with open(target, "wb") as handle:
            handle.write(made[0])
        return photo_id, (target, made[1], made[2])

    # Plain values only cross into the threads: no lazy loading from the database there.
    cell_points = {key: [(v.lat, v.lon, str(v.number), v.observation.category.color or "#c0392b")
                         for v in members] for key, members in cells.items()}

    def map_job(item):
        key, points = item
        png = _static_map(points, boundary, MAP_SIZE)
        if png is None:
            return key, None
        # As a JPEG file ReportLab embeds it once and passes it through; a PNG it would decode per use.
        target = os.path.join(folder, f"m{key[0]}_{key[1]}.jpg")
        with Image.open(io.BytesIO(png)) as picture:
            picture.convert("RGB").save(target, "JPEG", quality=90)
        return key, (target, *MAP_SIZE)

    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        photo_files = dict(pool.map(photo_job, photos))
        map_files = dict(pool.map(map_job, cell_points.items()))
    cell_of = {view.number: key for key, members in cells.items() for view in members}
    return photo_files, map_files, cell_of


def report_pdf(report: FaultReport, locale: str = "sv", with_maps: bool = True, with_photos: bool = True) -> bytes:
    """The printable report; `with_photos=False` (a mail whose photos are linked) says where they are."""
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (Image as PdfImage, KeepTogether, Paragraph, SimpleDocTemplate, Spacer,
                                    Table, TableStyle)

    rl_config.useA85 = 0  # binary streams: smaller, and ReportLab's pure-Python ASCII85 is slow
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]

    def para(text: str, style=body):
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    def image(entry, max_w: float, max_h: float):
        path, width, height = entry
        scale = min(max_w / width, max_h / height)
        return PdfImage(path, width=width * scale, height=height * scale)

    views = item_views(report, locale)
    boundary = report.area.boundary if report.area else None
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as folder:
        photo_files, map_files, cell_of = _prepare_images(views, boundary, folder, with_maps, with_photos)
        cells_of = map_cells(views)
        doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm,
                                topMargin=1.6 * cm, bottomMargin=1.6 * cm,
                                title=_("Fault report %(reference)s", reference=report.reference),
                                author="Tryggvandring")
        story = [Paragraph(escape(_("Fault report %(reference)s", reference=report.reference)),
                           styles["Title"]),
                 para(_("To: %(name)s", name=report.organization.name)),
                 para(_("Area: %(name)s", name=report.area.name) if report.area else ""),
                 para(_("Walk: %(title)s", title=report.walk.title) if report.walk else ""),
                 Spacer(1, 0.3 * cm), para(report.cover_text), Spacer(1, 0.5 * cm)]
        for view in views:
            rows = [[_("Category"), para(f"{view.category} ({view.theme})")],
                    [_("Description"), para(view.description)],
                    [_("WGS84"), f"{view.lat:.6f}, {view.lon:.6f}"],
                    [_("SWEREF 99 TM"), f"N {view.north:.1f}  E {view.east:.1f}"],
                    [_("Address"), para(view.address or "–")],
                    [_("Observed"), view.observed_at]]
            if view.metoo:
                rows.append([_("Me too"), _("%(n)s more walkers noted this", n=view.metoo)])
            table = Table(rows, colWidths=[3.6 * cm, 13.7 * cm])
            table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                       ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                                       ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey)]))
            block = [Paragraph(escape(_("Item %(number)s: %(category)s", number=view.number,
                                        category=view.category)), styles["Heading3"]), table]
            pictures = [photo_files[p.id] for p in view.photos[:PDF_PHOTOS_PER_ITEM] if photo_files.get(p.id)]
            map_entry = map_files.get(cell_of.get(view.number))
            cells = [image(entry, 8.4 * cm, 6.3 * cm) for entry in pictures]
            if map_entry:
                cells.append(image(map_entry, 8.4 * cm, 6.3 * cm))
            if cells:
                grid = [(cells[i:i + 2] + [""])[:2] for i in range(0, len(cells), 2)]
                block.append(Table(grid, colWidths=[8.65 * cm, 8.65 * cm], hAlign="LEFT"))
            if map_entry:
                alone = len(cells_of.get(cell_of.get(view.number), ())) == 1
                block.append(para(_("The map shows item %(number)s.", number=view.number) if alone else
                                  _("The map shows item %(number)s with the items near it.", number=view.number),
                                  small))
            if not view.photos:
                block.append(para(_("No photo."), small))
            elif not with_photos:
                block.append(para(ngettext("%(num)d photo: follow its link in the e-mail.",
                                           "%(num)d photos: follow their links in the e-mail.", len(view.photos)),
                                  small))
            block.append(Spacer(1, 0.4 * cm))
            story.append(KeepTogether(block))
        doc.build(story)
    return buffer.getvalue()

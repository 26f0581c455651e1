"""What a recipient gets: the items of a report as rows, CSV, XLSX and PDF (ReportLab)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app, url_for
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from .. import geo
from ..categories.service import theme_name
from ..models import FaultReport, FaultReportItem, Photo

PDF_PHOTO_PX = 560     # long side of a photo in the PDF: sharp on paper at 8 cm, small in bytes
PDF_PHOTO_QUALITY = 70
MAP_SIZE = (480, 300)


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

    @property
    def observation(self):
        return self.item.observation


def item_views(report: FaultReport, locale: str = "sv") -> list[ItemView]:
    views = []
    for number, item in enumerate(report.items, start=1):
        observation = item.observation
        north, east = geo.to_sweref99tm(observation.lat, observation.lon)
        views.append(ItemView(
            number=number, item=item, category=observation.category.name(locale),
            theme=theme_name(observation.category.theme, locale), description=observation.text,
            lat=round(observation.lat, 6), lon=round(observation.lon, 6), north=north, east=east,
            address=observation.address, observed_at=observation.observed_at.strftime("%Y-%m-%d %H:%M"),
            photos=list(observation.photos)))
    return views


def photo_path(photo: Photo) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / photo.filename


def photo_url(report: FaultReport, photo: Photo) -> str:
    """A link a recipient can open without an account (see routes.photo)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = url_for("reports.photo", report_id=report.id, filename=photo.filename,
                   _external=not base)
    return base.rstrip("/") + path if base else path


# --- CSV and XLSX -----------------------------------------------------------------------------------

def _columns():
    return [_("Reference"), _("No."), _("Category"), _("Description"), _("Latitude (WGS84)"),
            _("Longitude (WGS84)"), _("N (SWEREF 99 TM)"), _("E (SWEREF 99 TM)"), _("Address"),
            _("Observed"), _("Photos"), _("Status"), _("Recipient's id")]


def _row(report: FaultReport, view: ItemView) -> list:
    return [report.reference, view.number, view.category, view.description, view.lat, view.lon,
            view.north, view.east, view.address, view.observed_at, len(view.photos), view.item.status,
            view.item.external_id or view.item.external_token]


def _safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def items_csv(report: FaultReport, locale: str = "sv") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_columns())
    for view in item_views(report, locale):
        writer.writerow([_safe_cell(value) for value in _row(report, view)])
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
        sheet.append([_safe_cell(value) for value in _row(report, view)])
    for letter, width in zip("ABCDEFGHIJKLM", (16, 5, 28, 50, 12, 12, 12, 12, 30, 17, 8, 12, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- maps and photos --------------------------------------------------------------------------------

def map_png(view: ItemView, boundary=None, size=MAP_SIZE) -> bytes | None:
    """A small map of the item from maps.static, when that module is installed."""
    try:
        from maps.static import static_map_png
    except ImportError:
        return None
    colour = view.observation.category.color or "#c0392b"
    try:
        return static_map_png([(view.lat, view.lon, str(view.number), colour)], boundary=boundary,
                              width=size[0], height=size[1])
    except Exception:  # noqa: BLE001 – a missing map must not stop a fault report
        current_app.logger.exception("static map failed")
        return None


def small_jpeg(path: Path, max_px: int = PDF_PHOTO_PX, quality: int = PDF_PHOTO_QUALITY) -> bytes | None:
    """A downscaled JPEG of a stored photo (libjpeg's draft mode decodes it at a fraction of the size)."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (max_px, max_px))
            image = image.convert("RGB")
            image.thumbnail((max_px, max_px))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=False)
            return out.getvalue()
    except (OSError, UnidentifiedImageError):
        return None


# --- PDF --------------------------------------------------------------------------------------------

def report_pdf(report: FaultReport, locale: str = "sv", with_maps: bool = True) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (Image as PdfImage, KeepTogether, Paragraph, SimpleDocTemplate, Spacer,
                                    Table, TableStyle)

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Italic"]

    def para(text: str, style=body):
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    def image(data: bytes, max_w: float, max_h: float):
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
        scale = min(max_w / width, max_h / height)
        return PdfImage(io.BytesIO(data), width=width * scale, height=height * scale)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm,
                            topMargin=1.6 * cm, bottomMargin=1.6 * cm,
                            title=_("Fault report %(reference)s", reference=report.reference),
                            author="Tryggvandring")
    story = [Paragraph(escape(_("Fault report %(reference)s", reference=report.reference)), styles["Title"]),
             para(_("To: %(name)s", name=report.organization.name)),
             para(_("Area: %(name)s", name=report.area.name) if report.area else ""),
             para(_("Walk: %(title)s", title=report.walk.title) if report.walk else ""),
             Spacer(1, 0.3 * cm), para(report.cover_text), Spacer(1, 0.5 * cm)]
    boundary = report.area.boundary if report.area else None
    for view in item_views(report, locale):
        rows = [[_("Category"), para(f"{view.category} ({view.theme})")],
                [_("Description"), para(view.description)],
                [_("WGS84"), f"{view.lat:.6f}, {view.lon:.6f}"],
                [_("SWEREF 99 TM"), f"N {view.north:.1f}  E {view.east:.1f}"],
                [_("Address"), para(view.address or "–")],
                [_("Observed"), view.observed_at]]
        table = Table(rows, colWidths=[3.6 * cm, 13.7 * cm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey)]))
        block = [Paragraph(escape(_("Item %(number)s: %(category)s", number=view.number,
                                    category=view.category)), styles["Heading3"]), table]
        pictures = [data for data in (small_jpeg(photo_path(p)) for p in view.photos[:3]) if data]
        if with_maps:
            png = map_png(view, boundary)
            if png:
                pictures.append(png)
        if pictures:
            cells = [image(data, 8.4 * cm, 6.3 * cm) for data in pictures]
            grid = [(cells[i:i + 2] + [""])[:2] for i in range(0, len(cells), 2)]
            block.append(Table(grid, colWidths=[8.65 * cm, 8.65 * cm], hAlign="LEFT"))
        elif not view.photos:
            block.append(para(_("No photo."), small))
        block.append(Spacer(1, 0.4 * cm))
        story.append(KeepTogether(block))
    doc.build(story)
    return buffer.getvalue()

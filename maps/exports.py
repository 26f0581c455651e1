"""KML and GPX of a walk's observations: XML built with ElementTree, so every text is escaped."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Sequence
from xml.etree import ElementTree as ET

KML_NS = "http://www.opengis.net/kml/2.2"
GPX_NS = "http://www.topografix.com/GPX/1/1"


class ExportRow(NamedTuple):
    id: int
    lat: float
    lon: float
    category: str  # the category's name in the reader's language
    text: str
    safety: int
    safety_label: str
    status: str
    observed_at: dt.datetime  # naive UTC


def _iso(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


# Characters XML 1.0 cannot carry at all (escaping does not help): dropped from texts.
_NOT_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _sub(parent, tag: str, text=None, **attrs):
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = str(text).translate(_NOT_XML)
    return node


def _description(row: ExportRow) -> str:
    parts = [row.text.strip(), row.safety_label, row.status]
    return "\n".join(p for p in parts if p)


def kml(title: str, rows: Sequence[ExportRow]) -> bytes:
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    document = _sub(root, f"{{{KML_NS}}}Document")
    _sub(document, f"{{{KML_NS}}}name", title)
    for row in rows:
        placemark = _sub(document, f"{{{KML_NS}}}Placemark", id=f"observation-{row.id}")
        _sub(placemark, f"{{{KML_NS}}}name", f"{row.id}: {row.category}")
        _sub(placemark, f"{{{KML_NS}}}description", _description(row))
        stamp = _sub(placemark, f"{{{KML_NS}}}TimeStamp")
        _sub(stamp, f"{{{KML_NS}}}when", _iso(row.observed_at))
        data = _sub(placemark, f"{{{KML_NS}}}ExtendedData")
        for name, value in (("safety", row.safety), ("status", row.status), ("category", row.category)):
            field = _sub(data, f"{{{KML_NS}}}Data", name=name)
            _sub(field, f"{{{KML_NS}}}value", value)
        point = _sub(placemark, f"{{{KML_NS}}}Point")
        _sub(point, f"{{{KML_NS}}}coordinates", f"{row.lon:.6f},{row.lat:.6f}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def gpx(title: str, rows: Sequence[ExportRow], route: dict | None = None) -> bytes:
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", version="1.1", creator="Tryggvandring")
    metadata = _sub(root, f"{{{GPX_NS}}}metadata")
    _sub(metadata, f"{{{GPX_NS}}}name", title)
    for row in rows:
        point = _sub(root, f"{{{GPX_NS}}}wpt", lat=f"{row.lat:.6f}", lon=f"{row.lon:.6f}")
        _sub(point, f"{{{GPX_NS}}}time", _iso(row.observed_at))
        _sub(point, f"{{{GPX_NS}}}name", f"{row.id}: {row.category}")
        _sub(point, f"{{{GPX_NS}}}desc", _description(row))
        _sub(point, f"{{{GPX_NS}}}type", row.category)
    if route and route.get("type") == "LineString":
        rte = _sub(root, f"{{{GPX_NS}}}rte")
        _sub(rte, f"{{{GPX_NS}}}name", title)
        for lon, lat, *_ in route["coordinates"]:
            _sub(rte, f"{{{GPX_NS}}}rtept", lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

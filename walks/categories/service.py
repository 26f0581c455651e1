"""Categories: the default set, and the rules for changing them."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Category, Observation

# (code, Swedish name, English name, theme, colour, icon, is a fixable fault, has the offensive flag,
#  default recipient kind). Places and the physical environment only: no category labels people.
DEFAULT_CATEGORIES = (
    ("lighting", "Belysning", "Lighting", "safety", "#c0392b", "💡", True, False, "municipal"),
    ("vegetation", "Växtlighet skymmer sikt", "Vegetation blocks the view", "safety", "#27ae60", "🌳", True, False, "municipal"),
    ("overview", "Dålig överblick / skymda hörn", "Poor overview / hidden corners", "safety", "#8e44ad", "👁", True, False, "municipal"),
    ("hiding_places", "Gömställen, återvändsgränder, tunnlar", "Hiding places, dead ends, tunnels", "safety", "#6c3483", "🚇", True, False, "municipal"),
    ("wayfinding", "Orienterbarhet och skyltning", "Wayfinding and signage", "access", "#2471a3", "🪧", True, False, "municipal"),
    ("graffiti", "Klotter och skadegörelse", "Graffiti and vandalism", "clean", "#7d5ba6", "🎨", True, True, "municipal"),
    ("litter", "Nedskräpning och renhållning", "Litter and cleaning", "clean", "#a04000", "🗑", True, False, "municipal"),
    ("path_condition", "Gång- och cykelväg i dåligt skick", "Footpath or cycle path in poor condition", "access", "#1f6fb2", "🚧", True, False, "municipal"),
    ("accessibility", "Tillgänglighet (rullstol, barnvagn)", "Accessibility (wheelchair, pram)", "access", "#117a8b", "♿", True, False, "municipal"),
    ("transit_stop", "Hållplats och kollektivtrafik", "Stop and public transport", "access", "#0e6655", "🚋", True, False, "public_transport"),
    ("deserted", "Öde plats, lite folkliv", "Deserted place, little street life", "safety", "#566573", "🌙", False, False, None),
    ("traffic_safety", "Trafiksäkerhet", "Traffic safety", "safety", "#d35400", "🚦", True, False, "municipal"),
    ("abandoned_vehicles", "Övergivna fordon och cyklar", "Abandoned vehicles and bicycles", "clean", "#784212", "🚲", True, False, "municipal"),
    ("positive", "Tryggt och bra – värna", "Safe and good – keep it", "positive", "#2e8540", "👍", False, False, None),
    ("other", "Övrigt", "Other", "safety", "#555555", "•", False, False, None),
)

THEME_NAMES = {
    "safety": ("Trygghet", "Safety"),
    "clean": ("Rent och snyggt", "Clean and tidy"),
    "access": ("Tillgänglighet och framkomlighet", "Accessibility and ease of movement"),
    "positive": ("Positivt", "Positive"),
}


def theme_name(theme: str, locale: str) -> str:
    sv, en = THEME_NAMES.get(theme, (theme, theme))
    return en if locale == "en" else sv


def seed_categories() -> int:
    """Add the default categories that are missing (by code); return how many were added."""
    existing = set(db.session.scalars(sa.select(Category.code)))
    added = 0
    for order, (code, name_sv, name_en, theme, color, icon, is_fault, offensive, recipient) in \
            enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        db.session.add(Category(code=code, name_sv=name_sv, name_en=name_en, theme=theme, color=color,
                                icon=icon, is_fault=is_fault, has_offensive_flag=offensive,
                                default_recipient_kind=recipient, sort_order=order))
        added += 1
    db.session.flush()
    return added


def active_categories() -> list[Category]:
    return list(db.session.scalars(
        sa.select(Category).where(Category.retired.is_(False)).order_by(Category.sort_order, Category.id)))


def category_in_use(category: Category) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Observation).where(Observation.category_id == category.id)) > 0

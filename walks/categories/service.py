"""Categories: the default set, and the rules for changing them."""
from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import THEMES, Category, Observation, RoutingRule, audit
from ..web import DomainError

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


class CategoryError(DomainError):
    """A change to the categories that is refused; str(error) says why, `field` where."""


COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
# Categories describe places and the physical environment; these words label groups of people (DOMAIN.md).
PEOPLE_LABELS = ("missbruk", "narkoman", "hemlös", "tiggare", "tiggeri", "gäng", "invandrar", "romer",
                 "ungdomsgäng", "alkis", "drug user", "addict", "homeless", "beggar", "gang", "immigrant")

_PEOPLE_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(label) for label in PEOPLE_LABELS) + ")",
                             re.IGNORECASE)


def labels_people(name: str) -> bool:
    """Whether a name starts a word with a label for a group of people (not "Tillgänglighet")."""
    return _PEOPLE_PATTERN.search(name) is not None


def _clean(values: dict) -> dict:
    name_sv = (values.get("name_sv") or "").strip()
    name_en = (values.get("name_en") or "").strip()
    if not name_sv:
        raise CategoryError(_l("Give the category a Swedish name."), "name_sv")
    if not name_en:
        raise CategoryError(_l("Give the category an English name."), "name_en")
    for field, name in (("name_sv", name_sv), ("name_en", name_en)):
        if len(name) > 120:
            raise CategoryError(_l("The name is too long (at most 120 characters)."), field)
        if labels_people(name):
            raise CategoryError(_l("Categories describe places and the physical environment, not groups "
                                   "of people."), field)
    theme = values.get("theme")
    if theme not in THEMES:
        raise CategoryError(_l("Choose one of the themes."), "theme")
    color = (values.get("color") or "").strip()
    if not COLOR_PATTERN.match(color):
        raise CategoryError(_l("The colour must look like #1f6fb2."), "color")
    icon = (values.get("icon") or "").strip()
    if not icon or len(icon) > 8:
        raise CategoryError(_l("The icon is one emoji or a short symbol (at most 8 characters)."), "icon")
    return {"name_sv": name_sv, "name_en": name_en, "theme": theme, "color": color.lower(), "icon": icon,
            "is_fault": bool(values.get("is_fault")),
            "has_offensive_flag": bool(values.get("has_offensive_flag"))}


def _check_unique_names(values: dict, category: Category | None) -> None:
    # Compared in Python: SQLite's lower() leaves å, ä, ö alone.
    others = [c for c in db.session.scalars(sa.select(Category)) if c is not category]
    for field in ("name_sv", "name_en"):
        wanted = values[field].casefold()
        if any(getattr(other, field).casefold() == wanted for other in others):
            raise CategoryError(_l("Another category already has that name."), field)


def _new_code(name_en: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name_en).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:32] or "category"
    taken = set(db.session.scalars(sa.select(Category.code).where(Category.code.like(base + "%"))))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def create_category(values: dict, user) -> Category:
    cleaned = _clean(values)
    _check_unique_names(cleaned, None)
    last = db.session.scalar(sa.select(sa.func.max(Category.sort_order))) or 0
    category = Category(code=_new_code(cleaned["name_en"]), sort_order=last + 1, **cleaned)
    db.session.add(category)
    db.session.flush()
    audit(user, category, "create", **cleaned)
    return category


def update_category(category: Category, values: dict, user) -> Category:
    cleaned = _clean(values)
    _check_unique_names(cleaned, category)
    changes = {key: [getattr(category, key), value] for key, value in cleaned.items()
               if getattr(category, key) != value}
    for key, (_old, new) in changes.items():
        setattr(category, key, new)
    db.session.flush()
    if changes:
        audit(user, category, "update", **changes)
    return category


def set_retired(category: Category, retired: bool, user) -> Category:
    """A retired category stays on old observations but is no longer offered to walkers."""
    if category.retired != retired:
        category.retired = retired
        db.session.flush()
        audit(user, category, "retire" if retired else "unretire")
    return category


def delete_category(category: Category, user) -> None:
    if category_in_use(category) or db.session.scalar(
            sa.select(sa.func.count()).select_from(RoutingRule).where(RoutingRule.category_id == category.id)):
        raise CategoryError(_l("“%(name)s” is in use and cannot be deleted. Retire it instead: it then "
                               "stays on old observations but is no longer offered.", name=category.name_sv),
                            status=409)
    audit(user, category, "delete", code=category.code, name_sv=category.name_sv)
    db.session.delete(category)
    db.session.flush()

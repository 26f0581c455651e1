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

# The walker languages beyond Swedish and English: Category.names holds a name in each.
NAME_LANGUAGES = ("ar", "so", "ti", "fa", "fi")

# The default categories' names in the walker languages (plain words; a coordinator can change them).
DEFAULT_NAMES = {
    "lighting": {"ar": "الإضاءة", "so": "Iftiinka", "ti": "መብራህቲ", "fa": "روشنایی", "fi": "Valaistus"},
    "vegetation": {"ar": "النباتات تحجب الرؤية", "so": "Geedo ayaa aragga xiraya",
                   "ti": "ኣትክልቲ ምርኣይ ይኽልክል", "fa": "گیاهان جلوی دید را می‌گیرند",
                   "fi": "Kasvillisuus peittää näkymän"},
    "overview": {"ar": "رؤية ضعيفة / زوايا مخفية", "so": "Aragti yar / geesas qarsoon",
                 "ti": "ጽቡቕ ዘይርአ ቦታ / ሕቡኣት ኩርናዓት", "fa": "دید کم / گوشه‌های پنهان",
                 "fi": "Huono näkyvyys / piilossa olevat kulmat"},
    "hiding_places": {"ar": "أماكن للاختباء، طرق مسدودة، أنفاق",
                      "so": "Meelo lagu dhuunto, waddooyin xiran, tunnello",
                      "ti": "መሕብኢ ቦታታት፣ ዕጹው መገድታት፣ ዋሻታት", "fa": "مخفی‌گاه، بن‌بست، تونل",
                      "fi": "Piilopaikat, umpikujat, tunnelit"},
    "wayfinding": {"ar": "معرفة الطريق واللافتات", "so": "Jihada iyo calaamadaha",
                   "ti": "መገዲ ምርካብን ምልክታትን", "fa": "مسیریابی و تابلوها",
                   "fi": "Reittien löytäminen ja opasteet"},
    "graffiti": {"ar": "الكتابة على الجدران والتخريب", "so": "Qoraal derbiyada ah iyo burburin",
                 "ti": "ኣብ መናድቕ ምጽሓፍን ምዕናውን", "fa": "دیوارنویسی و خرابکاری", "fi": "Töhryt ja ilkivalta"},
    "litter": {"ar": "القمامة والنظافة", "so": "Qashin iyo nadaafad", "ti": "ጓሓፍን ጽሬትን",
               "fa": "زباله و نظافت", "fi": "Roskat ja siisteys"},
    "path_condition": {"ar": "ممر مشاة أو دراجات في حالة سيئة",
                       "so": "Jid lug ama baaskiil oo xaalad xun ku jira",
                       "ti": "ናይ እግሪ ወይ ብሽክለታ መገዲ ኣብ ሕማቕ ኩነታት",
                       "fa": "پیاده‌رو یا مسیر دوچرخهٔ خراب", "fi": "Huonokuntoinen kävely- tai pyörätie"},
    "accessibility": {"ar": "سهولة الوصول (كرسي متحرك، عربة أطفال)",
                      "so": "Gelitaan fudud (kursiga naafada, gaariga ilmaha)",
                      "ti": "ተበጻሕነት (ዓረብያ ስንኩላን፣ ዓረብያ ህጻናት)", "fa": "دسترسی (ویلچر، کالسکهٔ بچه)",
                      "fi": "Esteettömyys (pyörätuoli, lastenvaunut)"},
    "transit_stop": {"ar": "موقف الحافلات والنقل العام", "so": "Boosteejo iyo gaadiidka dadweynaha",
                     "ti": "መዕረፊ ኣውቶቡስን ህዝባዊ መጓዓዝያን", "fa": "ایستگاه و حمل‌ونقل عمومی",
                     "fi": "Pysäkki ja joukkoliikenne"},
    "deserted": {"ar": "مكان مهجور، قليل من الناس", "so": "Meel cidla ah, dad yar", "ti": "ጭር ዝበለ ቦታ፣ ውሑድ ሰብ",
                 "fa": "جای خلوت، آدم کم", "fi": "Autio paikka, vähän ihmisiä"},
    "traffic_safety": {"ar": "السلامة المرورية", "so": "Badbaadada gaadiidka", "ti": "ድሕንነት ትራፊክ",
                       "fa": "ایمنی ترافیک", "fi": "Liikenneturvallisuus"},
    "abandoned_vehicles": {"ar": "سيارات ودراجات متروكة", "so": "Gaadiid iyo baaskiillo la dayacay",
                           "ti": "ዝተሓድጋ መካይንን ብሽክለታታትን", "fa": "خودرو و دوچرخهٔ رهاشده",
                           "fi": "Hylätyt ajoneuvot ja pyörät"},
    "positive": {"ar": "آمن وجيد – حافظوا عليه", "so": "Ammaan oo wanaagsan – ilaaliya",
                 "ti": "ውሑስን ጽቡቕን – ሓልውዎ", "fa": "امن و خوب – نگهش دارید",
                 "fi": "Turvallinen ja hyvä – säilytetään"},
    "other": {"ar": "أخرى", "so": "Kale", "ti": "ካልእ", "fa": "سایر", "fi": "Muu"},
}

THEME_NAMES = {
    "safety": ("Trygghet", "Safety"),
    "clean": ("Rent och snyggt", "Clean and tidy"),
    "access": ("Tillgänglighet och framkomlighet", "Accessibility and ease of movement"),
    "positive": ("Positivt", "Positive"),
}
THEME_TRANSLATIONS = {
    "safety": {"ar": "الأمان", "so": "Ammaanka", "ti": "ድሕንነት", "fa": "امنیت", "fi": "Turvallisuus"},
    "clean": {"ar": "النظافة والترتيب", "so": "Nadaafad iyo nidaam", "ti": "ጽሬትን ስርዓትን",
              "fa": "تمیزی و نظم", "fi": "Siisteys"},
    "access": {"ar": "سهولة الوصول والتنقل", "so": "Gelitaan iyo socod fudud", "ti": "ተበጻሕነትን ምንቅስቓስን",
               "fa": "دسترسی و رفت‌وآمد آسان", "fi": "Esteettömyys ja liikkuminen"},
    "positive": {"ar": "أشياء إيجابية", "so": "Waxyaabo wanaagsan", "ti": "ኣወንታዊ", "fa": "نکات مثبت",
                 "fi": "Myönteistä"},
}


def theme_name(theme: str, locale) -> str:
    """The theme's name in a locale's language ("en_GB" is English), falling back to Swedish."""
    language = str(locale).split("_")[0]
    sv, en = THEME_NAMES.get(theme, (theme, theme))
    if language == "en":
        return en
    return THEME_TRANSLATIONS.get(theme, {}).get(language, sv)


def seed_categories() -> int:
    """Add the default categories that are missing (by code), and the walker-language names the
    existing defaults lack (a name a coordinator gave is kept); return how many categories were added."""
    existing = {c.code: c for c in db.session.scalars(sa.select(Category))}
    added = 0
    for order, (code, name_sv, name_en, theme, color, icon, is_fault, offensive, recipient) in \
            enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            category = existing[code]
            category.names = {**DEFAULT_NAMES.get(code, {}), **(category.names or {})}
            continue
        db.session.add(Category(code=code, name_sv=name_sv, name_en=name_en, theme=theme, color=color,
                                icon=icon, is_fault=is_fault, has_offensive_flag=offensive,
                                default_recipient_kind=recipient, sort_order=order,
                                names=dict(DEFAULT_NAMES.get(code, {}))))
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


DEFAULT_METOO_RADIUS_M = 30
MAX_METOO_RADIUS_M = 500  # farther than this is not "the same spot" on a walk


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
    names = {}
    for language in NAME_LANGUAGES:
        name = (values.get("names", {}).get(language) or "").strip()
        field = f"name_{language}"
        if len(name) > 120:
            raise CategoryError(_l("The name is too long (at most 120 characters)."), field)
        if labels_people(name):
            raise CategoryError(_l("Categories describe places and the physical environment, not groups "
                                   "of people."), field)
        if name:
            names[language] = name
    theme = values.get("theme")
    if theme not in THEMES:
        raise CategoryError(_l("Choose one of the themes."), "theme")
    color = (values.get("color") or "").strip()
    if not COLOR_PATTERN.match(color):
        raise CategoryError(_l("The colour must look like #1f6fb2."), "color")
    icon = (values.get("icon") or "").strip()
    if not icon or len(icon) > 8:
        raise CategoryError(_l("The icon is one emoji or a short symbol (at most 8 characters)."), "icon")
    radius = values.get("metoo_radius_m")
    radius = DEFAULT_METOO_RADIUS_M if radius is None or radius == "" else radius
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= MAX_METOO_RADIUS_M:
        raise CategoryError(_l("The “me too” radius is a whole number of metres from 0 (off) to %(max)d.",
                               max=MAX_METOO_RADIUS_M), "metoo_radius_m")
    return {"name_sv": name_sv, "name_en": name_en, "names": names, "theme": theme, "color": color.lower(),
            "icon": icon,
            "is_fault": bool(values.get("is_fault")),
            "has_offensive_flag": bool(values.get("has_offensive_flag")), "metoo_radius_m": radius}


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

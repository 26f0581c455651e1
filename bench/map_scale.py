"""How the area map scales: the app's builder against a naive map with one folium.Marker per point.

Run: .venv/bin/python bench/map_scale.py [--naive-50k]
Builds both maps for 1,000, 10,000 and 50,000 synthetic observations and prints build time
(building the folium.Map and rendering its full HTML) and HTML size. The app map's time is the
median of three builds (it is short, so a busy machine shows as noise); the naive map is built once. The naive map at 50,000 points
takes minutes, so it is skipped unless --naive-50k is given.
Goal at 10,000: ≤ 0.5 s and ≤ 800 kB; ≥ 10× smaller and ≥ 30× faster than the naive map.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import folium  # noqa: E402

from maps.builders import THEMES, CategoryStyle, MapPoint, MapSettings, build_map  # noqa: E402
from walks.categories.service import DEFAULT_CATEGORIES  # noqa: E402

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ATTRIBUTION = "&copy; OpenStreetMap contributors"
BOUNDARY = {"type": "Polygon", "coordinates": [[
    [11.9400, 57.7150], [11.9650, 57.7150], [11.9650, 57.7280], [11.9400, 57.7280], [11.9400, 57.7150]]]}
CATEGORIES = [CategoryStyle(code, name_sv, icon, colour, theme)
              for code, name_sv, _en, theme, colour, icon, *_ in DEFAULT_CATEGORIES]
TEXTS = ["Trasig lampa vid gångtunneln", "Buskar skymmer sikten mot busshållplatsen",
         "Klotter på elskåpet", "Nedskräpat vid återvinningen", "Bra belysning längs stråket"]


def synthetic(n: int, seed: int = 42) -> tuple[list[MapPoint], list[str]]:
    rnd = random.Random(seed)
    points, texts = [], []
    for i in range(n):
        category = rnd.choice(CATEGORIES)
        points.append(MapPoint(i + 1, 57.7150 + rnd.random() * 0.013, 11.9400 + rnd.random() * 0.025,
                               category.theme, category.code, rnd.randint(0, 3)))
        texts.append(rnd.choice(TEXTS))
    return points, texts


def app_map(points) -> str:
    m = build_map(points, CATEGORIES, MapSettings(tile_url=TILE_URL, attribution=ATTRIBUTION, boundary=BOUNDARY,
                                                  detail_url="/maps/observations/{id}.json"))
    return m.get_root().render()


def naive_map(points, texts) -> str:
    m = folium.Map(location=[57.72, 11.95], zoom_start=15, tiles=TILE_URL, attr=ATTRIBUTION)
    colours = {"safety": "red", "clean": "purple", "access": "blue", "positive": "green"}
    for p, text in zip(points, texts):
        folium.Marker([p.lat, p.lon], popup=folium.Popup(text), tooltip=p.category,
                      icon=folium.Icon(color=colours.get(p.theme, "gray"))).add_to(m)
    return m.get_root().render()


def timed(fn, *args, repeat: int = 1) -> tuple[float, int]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        html = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(html.encode())


def main(argv: list[str]) -> None:
    naive_50k = "--naive-50k" in argv
    assert len(THEMES) == 4
    app_map(synthetic(100)[0])  # warm up imports and template compilation
    results = {}
    print(f"{'points':>7} {'app s':>8} {'app kB':>9} {'naive s':>9} {'naive kB':>10} {'size ×':>8} {'speed ×':>8}")
    for n in (1_000, 10_000, 50_000):
        points, texts = synthetic(n)
        app_s, app_bytes = timed(app_map, points, repeat=3)
        if n >= 50_000 and not naive_50k:
            print(f"{n:>7} {app_s:>8.3f} {app_bytes / 1024:>9.0f} {'skipped':>9} {'skipped':>10} "
                  f"{'-':>8} {'-':>8}   (naive map at 50,000 skipped: minutes; run with --naive-50k)")
            continue
        naive_s, naive_bytes = timed(naive_map, points, texts)
        size_ratio, speed_ratio = naive_bytes / app_bytes, naive_s / app_s
        results[n] = (app_s, app_bytes, size_ratio, speed_ratio)
        print(f"{n:>7} {app_s:>8.3f} {app_bytes / 1024:>9.0f} {naive_s:>9.2f} {naive_bytes / 1024:>10.0f} "
              f"{size_ratio:>8.1f} {speed_ratio:>8.1f}")
    app_s, app_bytes, size_ratio, speed_ratio = results[10_000]
    ok = app_s <= 0.5 and app_bytes <= 800 * 1024 and size_ratio >= 10 and speed_ratio >= 30
    print(f"goal at 10,000 (≤ 0.5 s, ≤ 800 kB, ≥ 10× smaller, ≥ 30× faster): {'met' if ok else 'NOT met'}")
    print(f"RESULT build_s_10k={app_s:.3f} html_kb_10k={app_bytes / 1024:.0f} "
          f"size_ratio_10k={size_ratio:.1f} speed_ratio_10k={speed_ratio:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Folium map builders (pure functions) and the locally served map assets."""

"""Interactive Folium maps: choropleths, platform points, zone layers and the city's figures."""

from geo.maps.build import asset_files, build_map, figure_map, render_html

__all__ = ["asset_files", "build_map", "figure_map", "render_html"]

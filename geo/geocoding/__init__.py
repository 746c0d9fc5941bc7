"""Offline-first geocoding: the gazetteer, text normalisation, the resolver chain, online adapters."""

from geo.geocoding.geocoder import Geocoder, GeocodeResult, Provider, geocode
from geo.geocoding.textnorm import TextNormalizer

__all__ = ["GeocodeResult", "Geocoder", "Provider", "TextNormalizer", "geocode"]

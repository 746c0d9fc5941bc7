"""Optional online geocoders: Amap (GCJ-02), Tianditu (CGCS2000 ~ WGS84) and Nominatim (WGS84).

Offline is biomap's default; these adapters are opt-in. Each one converts its answer to WGS84,
caches answers on disk (a small SQLite file: one row per address, kept across runs), spaces its
requests (geopy's ``RateLimiter``), retries what is worth retrying (HTTP 429 and 5xx, timeouts and
dropped connections; ``tenacity``, honouring ``Retry-After``), and gives up after a timeout. Keys are passed in by the caller (the CLI reads them from environment
variables); this library never reads the environment. Errors the service reports (a bad key, a
quota) raise :class:`ProviderError` with the provider's own code and message.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from geopy.extra.rate_limiter import RateLimiter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from geo._io import check_output_file
from geo.crs import to_wgs84
from geo.errors import BiomapError, OutputError
from geo.geocoding.geocoder import GeocodeResult

if TYPE_CHECKING:
    from geo.cities import City

AMAP_URL = "https://restapi.amap.com"
TIANDITU_URL = "https://api.tianditu.gov.cn"
NOMINATIM_URL = "https://nominatim.openstreetmap.org"

_AMAP_LEVELS = {
    "门牌号": "building",
    "兴趣点": "building",
    "单元号": "building",
    "道路": "road",
    "道路交叉路口": "road",
    "村庄": "town",
    "乡镇": "town",
    "热点商圈": "landmark",
    "开发区": "landmark",
    "区县": "district",
}


class ProviderError(BiomapError, RuntimeError):
    """An online provider answered with an error, or did not answer in time."""


class _Cache:
    """A tiny on-disk key/value cache (SQLite), safe to share between threads."""

    def __init__(self, path: Path | str | None) -> None:
        self._lock = threading.Lock()
        self._db = None
        if path:
            self._db = _open_cache(Path(path))

    def get(self, key: str) -> Any | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("select v from cache where k = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: Any) -> None:
        if self._db is None:
            return
        with self._lock, self._db:
            self._db.execute("insert or replace into cache values (?, ?)", (key, json.dumps(value)))


def _open_cache(path: Path) -> sqlite3.Connection:
    """The cache database; an :class:`~geo.errors.OutputError` when it cannot be written."""
    check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), check_same_thread=False)
        db.execute("create table if not exists cache (k text primary key, v text)")
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            f"cannot write {str(path)!r}: {exc}; point --cache (BIOMAP_GEOCODE_CACHE) at a "
            "file in a folder you can write to"
        ) from exc
    return db


T = TypeVar("T")

#: HTTP statuses a later attempt may get past (too many requests, server trouble).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class _TransientError(Exception):
    """An answer worth retrying; ``retry_after`` is the server's ``Retry-After`` in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date or garbage: fall back to exponential backoff


class HTTPProvider(ABC):
    """Base class: cache, rate limit, timeout, and the HTTP call.

    Parameters
    ----------
    base_url
        The service root (tests point it at a fake server on 127.0.0.1).
    city
        The city answers must fall in; its ``geocoder_city`` is sent where the service takes
        a city.
    cache
        SQLite file for cached answers; ``None`` disables caching.
    min_interval
        Seconds between requests.
    timeout
        Seconds before a request is given up.
    retries
        Further attempts after a 429, a 5xx, a timeout or a dropped connection.
    backoff
        First wait before a retry (doubling, with jitter); a ``Retry-After`` header wins, up to
        ``max_wait`` seconds.
    """

    name = "http"
    coord_system = "wgs84"

    def __init__(
        self,
        base_url: str,
        *,
        city: City,
        cache: Path | str | None = None,
        min_interval: float = 0.2,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.city = city
        self._cache = _Cache(cache)
        self._client = client or httpx.Client(timeout=timeout, headers={"User-Agent": "biomap/0.1"})
        self.min_interval = min_interval
        self._send = self._spaced(lambda url, params: self._client.get(url, params=params))
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.requests = 0

    def geocode(self, address: str) -> GeocodeResult | None:
        """Look ``address`` up; ``None`` when the provider found nothing in the city."""
        key = f"{self.name}:{address}"
        answer = self._cache.get(key)
        if answer is None:
            answer = self._fetch(address)
            self._cache.put(key, answer)
        return self._result(address, answer)

    def _spaced(self, call: Callable[..., T]) -> Callable[..., T]:
        """``call`` behind geopy's limiter: ``min_interval`` s apart (retries are tenacity's)."""
        return RateLimiter(
            call, min_delay_seconds=self.min_interval, max_retries=0, swallow_exceptions=False
        )

    def _with_retries(self, attempt: Callable[..., T], *args: Any) -> T:
        """``attempt(*args)``, again after a :class:`_TransientError` (``retries`` times at most).

        The wait is the server's ``Retry-After`` when it sent one (up to ``max_wait``), else an
        exponential backoff with jitter; the last failure becomes a :class:`ProviderError`.
        """
        backoff = wait_exponential_jitter(initial=self.backoff, max=self.max_wait)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after", None)
            return min(hinted, self.max_wait) if hinted is not None else backoff(state)

        retrying = Retrying(
            retry=retry_if_exception_type(_TransientError),
            stop=stop_after_attempt(self.retries + 1),
            wait=wait,
            reraise=True,
        )
        try:
            return retrying(attempt, *args)
        except _TransientError as exc:
            tries = self.retries + 1
            raise ProviderError(
                f"{self.name}: {exc} (after {tries} attempt{'s' * (tries > 1)}); try again later"
            ) from exc

    def _get(self, path: str, params: dict[str, str]) -> Any:
        response = self._with_retries(self._attempt, path, params)
        if response.status_code >= 400:
            raise ProviderError(f"{self.name}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(f"{self.name}: the answer is not JSON") from exc

    def _attempt(self, path: str, params: dict[str, str]) -> httpx.Response:
        """One request: a transient failure raises :class:`_TransientError`, anything else returns."""
        self.requests += 1
        try:
            response = self._send(f"{self.base_url}{path}", params)
        except httpx.TimeoutException as exc:
            raise _TransientError(f"no answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise _TransientError(f"request failed ({exc})") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: request failed ({exc})") from exc
        if response.status_code in RETRY_STATUSES:
            raise _TransientError(f"HTTP {response.status_code}", _retry_after(response))
        return response

    @abstractmethod
    def _fetch(self, address: str) -> dict[str, Any]:
        """Ask the service; return ``{"found": False}`` or the point in the provider's CRS."""

    def _result(self, address: str, answer: dict[str, Any]) -> GeocodeResult | None:
        if not answer.get("found"):
            return None
        lon, lat = (float(v) for v in to_wgs84(answer["lon"], answer["lat"], self.coord_system))
        district = self.city.unit_of(lon, lat)
        if district is None:
            return None
        result = GeocodeResult(
            input=address,
            lon=lon,
            lat=lat,
            district_adcode=district,
            district_zh=self.city.unit_name(district),
            precision=answer.get("precision", "landmark"),
            source=f"online:{self.name}",
            confidence=0.75,
            coord_crs_in=self.coord_system,
            matched=answer.get("matched"),
        )
        result.notes.append(f"from {self.name} ({self.coord_system} converted to WGS84)")
        return result


class AmapProvider(HTTPProvider):
    """Amap Web Service geocoding (``/v3/geocode/geo``); answers are GCJ-02."""

    name = "amap"
    coord_system = "gcj02"

    def __init__(self, key: str, base_url: str = AMAP_URL, **kwargs: Any) -> None:
        if not key:
            raise ProviderError("amap needs a Web Service key (set BIOMAP_AMAP_KEY)")
        super().__init__(base_url, **kwargs)
        self.key = key

    def _fetch(self, address: str) -> dict[str, Any]:
        data = self._get(
            "/v3/geocode/geo",
            {
                "address": address,
                "city": self.city.profile.geocoder_city,
                "key": self.key,
                "output": "JSON",
            },
        )
        if str(data.get("status")) != "1":
            raise ProviderError(f"amap: {data.get('info')} (infocode {data.get('infocode')})")
        geocodes = data.get("geocodes") or []
        if not geocodes or not geocodes[0].get("location"):
            return {"found": False}
        first = geocodes[0]
        lon, lat = (float(v) for v in first["location"].split(","))
        return {
            "found": True,
            "lon": lon,
            "lat": lat,
            "matched": first.get("formatted_address"),
            "precision": _AMAP_LEVELS.get(first.get("level", ""), "landmark"),
        }


class TiandituProvider(HTTPProvider):
    """Tianditu geocoder (``/geocoder?ds=...``); CGCS2000, treated as WGS84."""

    name = "tianditu"

    def __init__(self, key: str, base_url: str = TIANDITU_URL, **kwargs: Any) -> None:
        if not key:
            raise ProviderError("tianditu needs a key (set BIOMAP_TIANDITU_KEY)")
        super().__init__(base_url, **kwargs)
        self.key = key

    def _fetch(self, address: str) -> dict[str, Any]:
        ds = json.dumps({"keyWord": address}, ensure_ascii=False)
        data = self._get("/geocoder", {"ds": ds, "tk": self.key})
        if str(data.get("status")) != "0":
            raise ProviderError(f"tianditu: {data.get('msg')} (status {data.get('status')})")
        loc = data.get("location") or {}
        if "lon" not in loc:
            return {"found": False}
        return {
            "found": True,
            "lon": float(loc["lon"]),
            "lat": float(loc["lat"]),
            "matched": loc.get("keyWord"),
            "precision": "landmark",
        }


class NominatimProvider(HTTPProvider):
    """OpenStreetMap Nominatim through geopy; WGS84. Mind its usage policy (1 request/s)."""

    name = "nominatim"

    def __init__(
        self,
        base_url: str = NOMINATIM_URL,
        *,
        user_agent: str = "biomap",
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        from geopy.geocoders import Nominatim

        kwargs.setdefault("min_interval", 1.0)
        super().__init__(base_url, timeout=timeout, **kwargs)
        scheme, _, domain = self.base_url.partition("://")
        self._geopy = Nominatim(
            domain=domain, scheme=scheme, user_agent=user_agent, timeout=timeout
        )
        self._search = self._spaced(lambda query: self._geopy.geocode(query, country_codes="cn"))

    def _lookup(self, query: str) -> Any:
        """One geopy request; transient failures raise :class:`_TransientError`."""
        from geopy.exc import GeocoderRateLimited, GeocoderTimedOut, GeocoderUnavailable, GeopyError

        self.requests += 1
        try:
            return self._search(query)
        except GeocoderRateLimited as exc:
            raise _TransientError("HTTP 429", exc.retry_after) from exc
        except GeopyError as exc:
            status = getattr(exc.__cause__, "status_code", None)
            if isinstance(exc, GeocoderTimedOut | GeocoderUnavailable) or status in RETRY_STATUSES:
                raise _TransientError(f"HTTP {status}" if status else str(exc)) from exc
            raise ProviderError(f"nominatim: {exc}") from exc

    def _fetch(self, address: str) -> dict[str, Any]:
        loc = self._with_retries(self._lookup, f"{address}, {self.city.profile.name_zh}")
        if loc is None:
            return {"found": False}
        return {
            "found": True,
            "lon": loc.longitude,
            "lat": loc.latitude,
            "matched": loc.address,
            "precision": "landmark",
        }

"""Online adapters against a local fake server on 127.0.0.1 speaking each provider's format."""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from geo.cities import open_city
from geo.crs import haversine_m, wgs84_to_gcj02
from geo.geocoding.geocoder import Geocoder
from geo.geocoding.providers import AmapProvider, NominatimProvider, ProviderError, TiandituProvider

CITY = open_city()

TRUE = (113.3245, 23.1065)  # a WGS84 point in Haizhu
GCJ = tuple(float(v) for v in wgs84_to_gcj02(*TRUE))


class FakeHandler(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[float, str]]] = []

    def log_message(self, *args):  # keep the test output clean
        pass

    def _send(self, body, status=200):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        FakeHandler.calls.append((time.monotonic(), url.path))
        text = q.get("address") or q.get("q") or json.loads(q.get("ds", "{}")).get("keyWord", "")
        if "慢" in text:
            time.sleep(1.0)
        if url.path == "/v3/geocode/geo":
            return self._amap(q, text)
        if url.path == "/geocoder":
            return self._tianditu(q, text)
        if url.path == "/search":
            return self._nominatim(text)
        return self._send({"error": "not found"}, 404)

    def _amap(self, q, text):
        if q.get("key") == "bad":
            return self._send({"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"})
        if "无结果" in text:
            return self._send(
                {"status": "1", "info": "OK", "infocode": "10000", "count": "0", "geocodes": []}
            )
        return self._send(
            {
                "status": "1",
                "info": "OK",
                "infocode": "10000",
                "count": "1",
                "geocodes": [
                    {
                        "formatted_address": "广东省广州市海珠区测试路1号",
                        "province": "广东省",
                        "city": "广州市",
                        "district": "海珠区",
                        "adcode": "440105",
                        "level": "门牌号",
                        "location": f"{GCJ[0]:.6f},{GCJ[1]:.6f}",
                    }
                ],
            }
        )

    def _tianditu(self, q, text):
        if q.get("tk") == "bad":
            return self._send({"status": "1", "msg": "key error"})
        if "无结果" in text:
            return self._send({"status": "0", "msg": "ok"})
        return self._send(
            {
                "status": "0",
                "msg": "ok",
                "searchVersion": "6.4.9V",
                "location": {
                    "lon": str(TRUE[0]),
                    "lat": str(TRUE[1]),
                    "score": 100,
                    "level": "门址",
                    "keyWord": text,
                },
            }
        )

    def _nominatim(self, text):
        if "无结果" in text:
            return self._send([])
        if "坏" in text:
            return self._send({"error": "boom"}, 500)
        return self._send(
            [{"lat": str(TRUE[1]), "lon": str(TRUE[0]), "display_name": "测试, 广州"}]
        )


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """The timeout test hangs up on purpose; a broken pipe then is expected."""


@pytest.fixture(scope="module")
def server():
    srv = QuietServer(("127.0.0.1", 0), FakeHandler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _providers(url, **kw):
    return {
        "amap": AmapProvider("good", city=CITY, base_url=url, min_interval=0, **kw),
        "tianditu": TiandituProvider("good", city=CITY, base_url=url, min_interval=0, **kw),
        "nominatim": NominatimProvider(city=CITY, base_url=url, min_interval=0, **kw),
    }


@pytest.mark.parametrize("name", ["amap", "tianditu", "nominatim"])
def test_answer_is_converted_to_wgs84(server, name):
    r = _providers(server)[name].geocode("海珠区测试路1号")
    assert r.source == f"online:{name}"
    assert r.district_adcode == "440105"
    assert haversine_m(r.lon, r.lat, *TRUE) < 0.05  # Amap's GCJ-02 undone to within 5 cm


@pytest.mark.parametrize("name", ["amap", "tianditu", "nominatim"])
def test_not_found_is_none(server, name):
    assert _providers(server)[name].geocode("无结果的地址") is None


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (
            lambda url: AmapProvider("bad", city=CITY, base_url=url, min_interval=0),
            "INVALID_USER_KEY",
        ),
        (lambda url: TiandituProvider("bad", city=CITY, base_url=url, min_interval=0), "key error"),
        (lambda url: NominatimProvider(city=CITY, base_url=url, min_interval=0), "nominatim"),
    ],
)
def test_provider_errors_are_reported(server, provider, message):
    p = provider(server)
    with pytest.raises(ProviderError, match=message):
        p.geocode("坏" if isinstance(p, NominatimProvider) else "海珠区")


def test_missing_key_is_a_clear_error():
    with pytest.raises(ProviderError, match="BIOMAP_AMAP_KEY"):
        AmapProvider("", city=CITY)


def test_cache_answers_the_second_time(server, tmp_path):
    p = AmapProvider(
        "good", city=CITY, base_url=server, min_interval=0, cache=tmp_path / "c.sqlite"
    )
    first = p.geocode("海珠区缓存路")
    second = p.geocode("海珠区缓存路")
    assert p.requests == 1
    assert (first.lon, first.lat) == (second.lon, second.lat)
    fresh = AmapProvider(
        "good", city=CITY, base_url=server, min_interval=0, cache=tmp_path / "c.sqlite"
    )
    fresh.geocode("海珠区缓存路")
    assert fresh.requests == 0  # on disk, survives the process


def test_rate_limit_spaces_requests(server):
    p = TiandituProvider("good", city=CITY, base_url=server, min_interval=0.15)
    sent = []
    real_get = p._client.get

    def timed_get(*args, **kwargs):
        sent.append(time.monotonic())  # when the request leaves, not when the server runs it
        return real_get(*args, **kwargs)

    p._client.get = timed_get
    for i in range(3):
        p.geocode(f"海珠区限速{i}")
    assert len(sent) == 3
    # The limiter spaces its releases by 0.15 s; scheduling between release and send can eat a
    # few ms under load. Unlimited, these requests go out about 2 ms apart.
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 0.12


def test_timeout_becomes_provider_error(server):
    p = AmapProvider("good", city=CITY, base_url=server, min_interval=0, timeout=0.2)
    with pytest.raises(ProviderError, match="in time"):
        p.geocode("慢")


def test_chain_uses_online_only_when_offline_is_not_enough(server):
    amap = AmapProvider("good", city=CITY, base_url=server, min_interval=0)
    coder = Geocoder(CITY, providers=[amap])
    offline = coder.geocode("中山大学附属第一医院")
    assert offline.source.startswith("gazetteer:")
    assert amap.requests == 0
    online = coder.geocode("海珠区某某大厦")  # offline: district only
    assert online.source == "online:amap"
    assert amap.requests == 1


def test_chain_survives_a_failing_provider(server):
    coder = Geocoder(
        CITY, providers=[AmapProvider("bad", city=CITY, base_url=server, min_interval=0)]
    )
    r = coder.geocode("海珠区某某大厦")
    assert r.precision == "district"
    assert "INVALID_USER_KEY" in r.to_dict()["note"]


class FlakyHandler(BaseHTTPRequestHandler):
    """Nominatim-shaped; the path picks a failure: /busy answers 429 twice, /down always 503."""

    calls: ClassVar[list[tuple[float, str]]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = urlparse(self.path).path
        FlakyHandler.calls.append((time.monotonic(), path))
        sent = sum(1 for _, p in FlakyHandler.calls if p == path)
        prefix = path.split("/")[1]
        if prefix == "busy" and sent <= 2:
            status, body, extra = 429, b"{}", {"Retry-After": "1"}
        elif prefix == "down":
            status, body, extra = 503, b"{}", {}
        elif prefix == "gone":
            status, body, extra = 404, b"{}", {}
        else:
            status, extra = 200, {}
            body = json.dumps(
                [{"lat": str(TRUE[1]), "lon": str(TRUE[0]), "display_name": "t"}]
            ).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **extra}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def flaky():
    FlakyHandler.calls.clear()
    srv = QuietServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_429_is_retried_after_the_servers_retry_after(flaky):
    p = NominatimProvider(city=CITY, base_url=f"{flaky}/busy", min_interval=0, backoff=0.01)
    r = p.geocode("海珠区重试路")
    assert r is not None
    assert haversine_m(r.lon, r.lat, *TRUE) < 0.05
    times = [t for t, _ in FlakyHandler.calls]
    assert len(times) == 3  # two 429s, then the answer
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.9  # Retry-After: 1 honoured


@pytest.mark.parametrize("provider", [AmapProvider, NominatimProvider])
def test_a_persistent_5xx_gives_up_after_the_retries_with_a_clear_error(flaky, provider):
    key = ("good",) if provider is AmapProvider else ()
    p = provider(*key, city=CITY, base_url=f"{flaky}/down", min_interval=0, backoff=0.01)
    with pytest.raises(ProviderError, match=r"HTTP 503 \(after 3 attempts\); try again later"):
        p.geocode("海珠区故障路")
    assert len(FlakyHandler.calls) == 3


def test_a_4xx_is_not_retried(flaky):
    p = NominatimProvider(city=CITY, base_url=f"{flaky}/gone", min_interval=0, backoff=0.01)
    with pytest.raises(ProviderError, match="404"):
        p.geocode("海珠区无此路")
    assert len(FlakyHandler.calls) == 1

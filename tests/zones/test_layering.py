"""geo/ is a library: importing it pulls in no web stack and reads no settings."""

import subprocess
import sys


def test_geo_imports_no_web_stack():
    code = (
        "import sys, geo, geo.crs, geo.cities.boundaries, geo.zones, geo.store, geo.zones.assign;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'pydantic_settings', 'uvicorn')];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_geo_never_reads_environment():
    from pathlib import Path

    import geo

    for path in Path(geo.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text, path
        assert "getenv" not in text, path

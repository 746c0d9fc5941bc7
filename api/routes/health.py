"""``/healthz``: liveness and what was loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from api.models import Health
from api.responses import dumps

router = APIRouter(tags=["Service"])


@router.get(
    "/healthz", summary="Liveness", response_class=JSONResponse, responses={200: {"model": Health}}
)
async def healthz(request: Request) -> Response:
    """``ok`` and the number of platforms and collections loaded (never cached)."""
    body = request.app.state.health
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


def health_body(platforms: int, collections: list[str], loaded_at: str) -> bytes:
    """The prepared ``/healthz`` body."""
    return dumps(
        {"status": "ok", "platforms": platforms, "collections": collections, "loaded_at": loaded_at}
    )

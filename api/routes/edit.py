"""OGC API - Features Part 4 on ``platforms``: create, replace, update, delete, and the history.

- ``POST /collections/platforms/items`` creates (201, ``Location``, ``ETag``);
- ``PUT`` replaces and ``PATCH`` (JSON Merge Patch, RFC 7396) updates one item, ``DELETE``
  removes it; all three need ``If-Match`` with the item's current ETag (428 without, 412 when
  stale), so of two concurrent edits of one record exactly one wins;
- ``GET .../items/{id}/history`` lists every change, oldest first; ``POST .../items/{id}/restore``
  brings a deleted platform back from its history.

Writes need an editor's bearer token (:mod:`api.auth`); the token's name is the history's actor.
Every edit goes through :func:`geo.ingest.edit.prepare_record`, the checks ingest makes. The work
runs in a worker thread (file I/O, geocoding, the database); the store's writer lock is held only
for the write itself, which checks the ETag and duplicates (:func:`~geo.ingest.edit.check_duplicates`)
against the stored records under it.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import require_editor
from api.data import ServiceData
from api.errors import ApiError, NotFoundError
from api.params import base_url
from api.responses import GEOJSON, JSON, dumps
from geo.errors import PreconditionFailedError, RecordInvalidError, RecordNotFoundError
from geo.ingest.edit import check_duplicates, merge_patch, prepare_record, record_feature
from geo.store import Change, PlatformRecord, TokenRecord, etag
from geo.store.base import Operation, history_document

router = APIRouter(tags=["OGC API - Features - Part 4 (editing)"])

MAX_BODY = 1_000_000  # bytes: one platform is a few kB
_BODY_TYPES = {"application/geo+json", "application/json"}
_PATCH_TYPES = {"application/merge-patch+json", *_BODY_TYPES}

FeatureId = Annotated[str, Path(alias="featureId", description="Platform id.")]
Editor = Annotated[TokenRecord, Depends(require_editor)]


class PreconditionRequiredError(ApiError):
    """A write without ``If-Match``."""

    status = 428
    title = "Precondition required"


class MethodNotAllowedError(ApiError):
    """Editing a collection that cannot be edited."""

    status = 405
    title = "Method not allowed"


class UnsupportedMediaError(ApiError):
    """A body that is not (Geo)JSON."""

    status = 415
    title = "Unsupported media type"


class PayloadTooLargeError(ApiError):
    """A body above :data:`MAX_BODY`."""

    status = 413
    title = "Payload too large"


def _editable(collection_id: str) -> None:
    if collection_id != "platforms":
        raise MethodNotAllowedError(
            f"collection {collection_id!r} is read-only; only 'platforms' can be edited"
        )


async def _feature_body(request: Request, allowed: set[str]) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in allowed:
        raise UnsupportedMediaError(
            f"send the body as {' or '.join(sorted(allowed))} (got {kind or 'no Content-Type'!r})"
        )
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PayloadTooLargeError(f"the body has {len(body)} bytes; at most {MAX_BODY}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RecordInvalidError("the body is not JSON", {"body": str(exc)}) from exc


def _if_match(request: Request) -> list[str]:
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequiredError(
            "send If-Match with the ETag from GET on this item (or * for any version), so "
            "that another editor's change is not overwritten"
        )
    return [t.strip().replace("-gcj02", "") for t in header.split(",") if t.strip()]


def _expect(tags: list[str], current: PlatformRecord | None) -> str:
    """The precondition to check: the tag matching ``current`` if any, else the first."""
    now = etag(current)
    if "*" in tags:
        return "*"
    return now if now in tags else tags[0]


def _answer(
    request: Request, record: PlatformRecord, status: int, notes: list[str] | None = None
) -> Response:
    feature = record_feature(record)
    if notes:
        feature["notes"] = notes  # a GeoJSON foreign member: what the checks warned about
    location = f"{base_url(request)}/collections/platforms/items/{record.id}"
    headers = {"ETag": etag(record) or "", "Location": location, "Cache-Control": "no-store"}
    return Response(dumps(feature), status_code=status, media_type=GEOJSON, headers=headers)


#: How often an edit made on ``If-Match: *`` is redone when the record changed meanwhile.
ANY_VERSION_RETRIES = 5


def _write(
    request: Request,
    token: TokenRecord,
    op: Operation,
    feature: Any,
    *,
    record_id: str | None = None,
    tags: list[str] | None = None,
) -> tuple[PlatformRecord, list[str]]:
    """Check and store one edit (runs in a worker thread).

    The edit is geocoded, validated and assigned without any lock, on the record as read
    now; the store's write then checks, under its lock, that the record is still the version
    the edit was made on (the client's ETag, or for ``If-Match: *`` the version read: if it
    moved, the edit is redone on the new one) and that no other record duplicates it.
    """
    data: ServiceData = request.app.state.data
    store = data.store
    for attempt in range(ANY_VERSION_RETRIES):
        current = store.get(record_id) if record_id else None
        if record_id is not None and current is None:
            raise RecordNotFoundError(f"no platform {record_id!r}")
        edit = merge_patch(record_feature(current), feature) if op == "update" else feature  # type: ignore[arg-type]
        record, notes = prepare_record(
            edit,
            city=data.city,
            geocoder=data.geocoder,
            record_id=record_id,
            current=current,
            layers=data.layers,
        )
        expect = None if op in ("create", "restore") else _expect(tags or [], current)
        any_version = expect == "*"
        live = request.app.state.live
        try:
            with live.writing():
                change = store.write(
                    record.id,
                    record,
                    actor=token.name,
                    op=op,
                    expect=etag(current) if any_version else expect,
                    check=functools.partial(check_duplicates, record),
                )
                live.changed(change)
        except PreconditionFailedError:
            if any_version and attempt + 1 < ANY_VERSION_RETRIES:
                continue  # another editor got in between: redo the edit on their version
            raise
        return record, notes
    raise AssertionError("unreachable")  # pragma: no cover


@router.post(
    "/collections/{collectionId}/items",
    status_code=201,
    summary="Create a platform",
    responses={201: {"description": "Created; Location and ETag headers"}},
)
async def create_item(
    request: Request,
    token: Editor,
    collection_id: Annotated[str, Path(alias="collectionId")],
) -> Response:
    """Create a platform from a GeoJSON Feature (no point: the address is geocoded)."""
    _editable(collection_id)
    feature = await _feature_body(request, _BODY_TYPES)
    record, notes = await run_in_threadpool(_write, request, token, "create", feature)
    return _answer(request, record, 201, notes)


@router.put("/collections/{collectionId}/items/{featureId}", summary="Replace a platform")
async def replace_item(
    request: Request,
    token: Editor,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: FeatureId,
) -> Response:
    """Replace a platform with the Feature sent; needs ``If-Match``."""
    _editable(collection_id)
    tags = _if_match(request)
    feature = await _feature_body(request, _BODY_TYPES)
    record, notes = await run_in_threadpool(
        _write, request, token, "replace", feature, record_id=feature_id, tags=tags
    )
    return _answer(request, record, 200, notes)


@router.patch("/collections/{collectionId}/items/{featureId}", summary="Update a platform")
async def update_item(
    request: Request,
    token: Editor,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: FeatureId,
) -> Response:
    """Apply a JSON Merge Patch to a platform's Feature (``null`` removes); needs ``If-Match``."""
    _editable(collection_id)
    tags = _if_match(request)
    patch = await _feature_body(request, _PATCH_TYPES)
    if not isinstance(patch, dict):
        raise RecordInvalidError("the patch is not an object", {"body": 'e.g. {"properties": {}}'})
    record, notes = await run_in_threadpool(
        _write, request, token, "update", patch, record_id=feature_id, tags=tags
    )
    return _answer(request, record, 200, notes)


@router.delete(
    "/collections/{collectionId}/items/{featureId}", status_code=204, summary="Delete a platform"
)
async def delete_item(
    request: Request,
    token: Editor,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: FeatureId,
) -> Response:
    """Delete a platform (its history keeps it; see ``restore``); needs ``If-Match``."""
    _editable(collection_id)
    tags = _if_match(request)

    def delete() -> None:
        data: ServiceData = request.app.state.data
        current = data.store.get(feature_id)
        if current is None:
            raise RecordNotFoundError(f"no platform {feature_id!r}")
        live = request.app.state.live
        with live.writing():
            change = data.store.write(
                feature_id, None, actor=token.name, op="delete", expect=_expect(tags, current)
            )
            live.changed(change)

    await run_in_threadpool(delete)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.get(
    "/collections/{collectionId}/items/{featureId}/history",
    summary="A platform's history",
    responses={200: {"description": '{"id": ..., "history": [changes, oldest first]}'}},
)
async def item_history(
    request: Request,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: FeatureId,
) -> Response:
    """Every change of a platform, oldest first: who, when, the operation, before and after."""
    _editable(collection_id)
    data: ServiceData = request.app.state.data
    changes = await run_in_threadpool(data.store.history, feature_id)
    if not changes:
        raise NotFoundError(f"platform {feature_id!r} has no history (it never existed here)")
    return Response(
        dumps(history_document(feature_id, changes)),
        media_type=JSON,
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/collections/{collectionId}/items/{featureId}/restore",
    status_code=201,
    summary="Restore a deleted platform",
)
async def restore_item(
    request: Request,
    token: Editor,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: FeatureId,
    seq: Annotated[
        int | None,
        Query(
            ge=1,
            description="The history entry whose `before` to restore (default: the last deletion).",
        ),
    ] = None,
) -> Response:
    """Bring a deleted platform back as it was before its deletion (checked like a create)."""
    _editable(collection_id)
    data: ServiceData = request.app.state.data
    changes = await run_in_threadpool(data.store.history, feature_id)
    chosen = _restorable(feature_id, changes, seq)
    feature = record_feature(PlatformRecord.model_validate(chosen.before))
    record, notes = await run_in_threadpool(_write, request, token, "restore", feature)
    return _answer(request, record, 201, notes)


def _restorable(feature_id: str, changes: list[Change], seq: int | None) -> Change:
    if not changes:
        raise NotFoundError(f"platform {feature_id!r} has no history to restore from")
    if changes[-1].after is not None:
        raise ApiError(
            f"platform {feature_id!r} exists; to go back to an older version, PUT that version"
        )
    pick = [c for c in changes if c.before is not None and (seq is None or c.seq == seq)]
    if seq is None:
        pick = [c for c in pick if c.op == "delete"]
    if not pick:
        raise NotFoundError(f"no history entry {seq} of {feature_id!r} holds a version")
    return pick[-1]

"""``/admin/*``: list versions, swap, roll back. Every route needs the admin token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from mlcourse.serving.dependencies import Admin, State
from mlcourse.serving.registry import ModelLoadError
from mlcourse.serving.schemas import ErrorResponse, SwapRequest, SwapResponse, VersionsResponse

__all__ = ["router"]


def _error(description: str) -> dict:
    return {"model": ErrorResponse, "description": description}


router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    dependencies=[Admin],
    responses={
        401: _error("no bearer token"),
        403: _error("a wrong token, or the server has no admin token (admin disabled)"),
    },
)
CHANGE_ERRORS = {
    409: _error("nothing to roll back to, or the model takes a different input"),
    422: _error("the version fails a check (file, types, size, structure, metadata)"),
}


@router.get("/versions", response_model=VersionsResponse)
async def versions(state: State) -> VersionsResponse:
    """The registry's versions with their metadata, and the rollback history."""
    return VersionsResponse(
        serving=state.predictor.handle.version,
        history=state.deployment.history(),
        versions=state.deployment.versions(),
    )


@router.post(
    "/swap",
    response_model=SwapResponse,
    responses={
        400: _error("the body is not JSON"),
        404: _error("no such version"),
        **CHANGE_ERRORS,
    },
)
async def swap(body: SwapRequest, state: State) -> SwapResponse:
    """Deploy ``{"version": "vN"}`` on every worker; the old model serves until it is ready."""
    try:
        return await state.deployment.swap(body.version)
    except ModelLoadError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.post("/rollback", response_model=SwapResponse, responses=CHANGE_ERRORS)
async def rollback(state: State) -> SwapResponse:
    """Go back to the version deployed before the last swap (on every worker)."""
    try:
        return await state.deployment.rollback()
    except ModelLoadError as exc:
        raise HTTPException(exc.status, str(exc)) from None

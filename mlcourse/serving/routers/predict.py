"""``POST /predict``: validated instances in, predictions out.

The request model is built per server (:func:`mlcourse.serving.schemas.predict_request_model`):
its limits and its input kind (text or rows of numbers) are those of the served model, so
``/openapi.json`` documents exactly what is accepted. This module does not use postponed
annotations: FastAPI reads the endpoint's annotations, and the body type is a local name.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response
from pydantic import BaseModel

from mlcourse.serving.dependencies import State
from mlcourse.serving.errors import valid_request_id
from mlcourse.serving.schemas import ErrorResponse, PredictResponse

__all__ = ["ERRORS", "build_router"]


def _error(description: str) -> dict:
    return {"model": ErrorResponse, "description": description}


ERRORS = {
    400: _error("the body is not UTF-8 JSON"),
    408: _error("the body did not arrive within body_timeout"),
    413: _error("the body is over max_body_bytes"),
    422: _error("valid JSON but not valid instances (wrong type, empty, too many, too long)"),
    431: _error("the request line and headers are over max_header_bytes"),
    503: {"description": "more connections than limit_concurrency (plain text, from uvicorn)"},
}

RequestId = Annotated[
    str | None,
    Header(
        description="echoed back (and logged) if it is 1 to 64 letters, digits, '.', '_' or '-'; "
        "otherwise a new id is made"
    ),
]


def build_router(request_model: type[BaseModel]) -> APIRouter:
    """The ``/predict`` router for one server, taking ``request_model`` as its body."""
    router = APIRouter(tags=["predict"])
    Body = request_model  # noqa: N806 - a class

    @router.post("/predict", response_model=PredictResponse, responses=ERRORS)
    async def predict(
        body: Body, state: State, response: Response, x_request_id: RequestId = None
    ) -> PredictResponse:
        """Predict a class (and its probability) for each instance."""
        rid = valid_request_id(x_request_id) or uuid.uuid4().hex
        response.headers["X-Request-ID"] = rid
        try:
            preds, probs, version = await state.predictor.predict(body.instances, rid)
        except Exception as exc:  # the model failed on valid-looking input: the caller's data
            raise HTTPException(
                422,
                f"the model could not process these instances ({type(exc).__name__}: {exc})",
                headers={"X-Request-ID": rid},
            ) from None
        return PredictResponse.model_construct(
            predictions=preds, probabilities=probs, model_version=version, request_id=rid
        )

    return router

"""Pydantic models: every request and response body, the registry's metadata and pointer.

FastAPI builds ``/openapi.json`` from these, so the documentation is the validation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Len
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    create_model,
    model_validator,
)

__all__ = [
    "VERSION_PATTERN",
    "ErrorResponse",
    "HealthResponse",
    "InputSpec",
    "ModelMetadata",
    "Pointer",
    "PredictResponse",
    "SwapRequest",
    "SwapResponse",
    "VersionsResponse",
    "WorkerStatus",
    "predict_request_model",
]

VERSION_PATTERN = r"^v[0-9]{1,9}$"
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN)]


# ---- the registry ------------------------------------------------------------------------------


class InputSpec(BaseModel):
    """What a model takes: text (one string per instance) or rows of ``n_features`` numbers."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["text", "numeric"]
    n_features: int | None = Field(default=None, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _numeric_needs_width(self) -> InputSpec:
        if self.kind == "numeric" and self.n_features is None:
            raise ValueError("a numeric input needs n_features")
        if self.kind == "text" and self.n_features is not None:
            raise ValueError("a text input has no n_features")
        return self


class ModelMetadata(BaseModel):
    """``REGISTRY/vN/metadata.json``. Unknown keys are kept (newer writers may add some)."""

    model_config = ConfigDict(extra="allow")

    version: Version | None = None
    created: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=200)
    input: InputSpec | None = None
    data_summary: dict[str, JsonValue] = Field(default_factory=dict)
    metrics: dict[str, JsonValue] = Field(default_factory=dict)


class Pointer(BaseModel):
    """``REGISTRY/current.json``: the deployed version, and where a rollback goes."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    serial: int = Field(ge=0, description="grows by one at every swap or rollback")
    history: list[Version] = Field(default_factory=list, max_length=100)
    updated: str = Field(max_length=64)


# ---- request and response bodies ---------------------------------------------------------------


class ErrorResponse(BaseModel):
    """Every 4xx (and the rare 5xx) answers with one message that says what is wrong."""

    detail: str = Field(examples=['"instances" is empty; send at least one instance'])


def predict_request_model(
    kind: str, n_features: int | None, max_instances: int, max_text_chars: int
) -> type[BaseModel]:
    """The ``POST /predict`` body for one server: its model's input and its limits.

    Examples
    --------
    >>> Body = predict_request_model("text", None, max_instances=2, max_text_chars=10)
    >>> Body(instances=["hello"]).instances
    ['hello']
    >>> Body.model_json_schema()["properties"]["instances"]["maxItems"]
    2
    """
    if kind == "text":
        item = Annotated[StrictStr, StringConstraints(max_length=max_text_chars)]
        description = f"1 to {max_instances} email texts, each at most {max_text_chars} characters"
        example = ["Subject: Congratulations winner\n\nclaim your cash prize now"]
    else:
        number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
        item = Annotated[list[number], Len(n_features, n_features)]
        description = f"1 to {max_instances} rows of {n_features} finite numbers"
        example = [[0.0] * n_features]
    instances = Annotated[
        list[item],
        Field(min_length=1, max_length=max_instances, description=description, examples=[example]),
    ]
    return create_model(
        "PredictRequest",
        __doc__='The instances to predict, as {"instances": [...]}.',
        instances=(instances, ...),
    )


Prediction = StrictBool | StrictInt | StrictFloat | StrictStr


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="the predicted class of each instance")
    probabilities: list[float] | list[list[float]] | None = Field(
        description="binary model: P(classes[1]) per instance; more classes: one list each; "
        "null when the model has no predict_proba"
    )
    model_version: str = Field(description="the version that answered this request")
    request_id: str = Field(description="the X-Request-ID sent, or a new one")


class WorkerStatus(BaseModel):
    pid: int
    model_version: str


class QueueStatus(BaseModel):
    running: int = Field(description="instances in the model call now running")
    waiting: int = Field(description="instances waiting for the next model call")


class HealthResponse(BaseModel):
    status: Literal["ok"]
    pid: int = Field(description="the worker process that answered")
    model_version: str
    created: str | None
    input: InputSpec
    classes: list[Prediction] | None
    decision_threshold: float | None = Field(
        default=None,
        description="the served model predicts classes[1] when its probability is at least "
        "this (a FixedThresholdClassifier); null: the most probable class",
    )
    queue: QueueStatus
    workers: list[WorkerStatus] = Field(description="every live worker and what it serves")
    limits: dict[str, int | float]


class SwapRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version = Field(examples=["v2"])


class SwapResponse(BaseModel):
    previous_version: str
    model_version: str
    workers: list[WorkerStatus] = Field(
        description="each live worker's version when the answer was sent (all follow within "
        "about a second; the answer waits for them, at most a few seconds)"
    )
    followed_in: float = Field(
        description="seconds from the registry's pointer moving to every live worker serving "
        "the new version (or to the end of the wait)"
    )


class VersionsResponse(BaseModel):
    serving: str
    history: list[str] = Field(description="where rollbacks go, the next one last")
    versions: list[dict[str, JsonValue]]

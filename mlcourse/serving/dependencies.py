"""Dependencies the routers share: the app's serving state, and admin authentication."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mlcourse.serving.deployment import Deployment
from mlcourse.serving.metrics import Metrics
from mlcourse.serving.predictor import Predictor
from mlcourse.serving.settings import Settings

__all__ = ["Admin", "ServingState", "State", "get_state", "require_admin"]


@dataclass
class ServingState:
    """Everything behind one app (one worker process)."""

    settings: Settings
    metrics: Metrics
    predictor: Predictor
    deployment: Deployment
    prediction_log: logging.Logger | None = None


def get_state(request: Request) -> ServingState:
    return request.app.state.serving


State = Annotated[ServingState, Depends(get_state)]
_bearer = HTTPBearer(auto_error=False, description="the token the server was started with")


def require_admin(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with ``Authorization: Bearer <admin token>``.

    401 without a bearer token, 403 with a wrong one, or when the server has no token (then
    the admin endpoints are disabled). The comparison takes the same time for every token.
    """
    expected = state.settings.admin_token
    if expected is None:
        raise HTTPException(
            403, "admin endpoints are disabled: start the server with an admin token"
        )
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401,
            "missing admin token: send 'Authorization: Bearer TOKEN'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.strip().encode(), expected.encode()):
        raise HTTPException(403, "wrong admin token")


Admin = Depends(require_admin)

"""The server's routes, one router per concern (FastAPI's "bigger applications" layout)."""

"""The HTTP side every jemput service shares: one app (`app.service_app`) and the ASGI
middleware it is built from, each in its own module; what every HTTP API shares beside
it: API keys and roles (`api_keys.py`, without FastAPI, so that the settings can read
them; `http.py` checks callers against them), the error bodies (`api_errors.py`), the 503
answer and request counters (`http.py`), and the per-client rate limit of the public
lookups (`rate_limit.py`).

Importing the package imports nothing (the settings import `api_keys` without FastAPI):
take the module you need."""

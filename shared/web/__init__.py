"""The HTTP side every jemput service shares: one app (`app.service_app`) and the ASGI
middleware it is built from, each in its own module."""

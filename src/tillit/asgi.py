"""ASGI entry for uvicorn (`tillit.asgi:app`), built from the environment."""

from tillit.config import load_settings
from tillit.main import create_app

app = create_app(load_settings())

"""The dashboard's edge to the data layer: one engine per process, and query results cached by
their arguments and the data version (which every import and demo load bumps)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from data_access import db

# How long a cached result may be reused at most, even if nothing was imported.
CACHE_TTL_SECONDS = 15 * 60
# How often the data version is re-read; an import in this process also clears the cache.
VERSION_TTL_SECONDS = 5


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    engine = db.engine_for(url)
    db.check(engine)
    return engine


def engine():
    """The engine of the configured database (checked once per URL and process)."""
    return _engine(db.database_url())


@st.cache_data(ttl=VERSION_TTL_SECONDS, show_spinner=False)
def data_version() -> str:
    return db.data_version(engine())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=2000)
def _cached(module: str, name: str, version: str, args: tuple, kwargs: tuple) -> Any:
    fn = getattr(importlib.import_module(module), name)
    return fn(engine(), *args, **dict(kwargs))


def query(fn: Callable, *args, **kwargs) -> Any:
    """Run a named query of data_access with the engine, through the cache."""
    return _cached(fn.__module__, fn.__name__, data_version(), args, tuple(sorted(kwargs.items())))


def invalidate() -> None:
    """Drop every cached result; call after writing to the database."""
    st.cache_data.clear()

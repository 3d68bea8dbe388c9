"""Paging for API lists with bounds a database can serve: ``offset=10**20`` is a 400 naming
the allowed range, not an overflow deep in the SQL driver."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 10**9


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` 1–1000 (default 100) and ``offset`` 0–1,000,000,000."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

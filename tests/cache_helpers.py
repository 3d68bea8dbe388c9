"""Emptying a cache between tests without touching anyone else's keys."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache


def cache_clear(cache: BaseCache) -> None:
    """Empty ``cache`` for a test. Django's ``RedisCache.clear()`` flushes the whole Redis
    database, other applications' keys included, so on Redis only this run's keys go (the
    test settings give the run a key prefix of its own when ``REDIS_URL`` is set)."""
    alias = getattr(cache, "_alias", None)  # django.core.cache.cache is a proxy
    if alias is not None:
        cache = caches[alias]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    if not cache.key_prefix:
        raise RuntimeError("A Redis cache in tests needs a KEY_PREFIX of its own.")
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{cache.key_prefix}:*", count=1000):
        client.delete(key)

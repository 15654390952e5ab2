"""psp.cache: Django's Redis cache, keeping one Redis client per connection pool."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings

from psp.cache import RedisCache


def test_one_client_per_pool_shared_by_every_call():
    cache = RedisCache("redis://127.0.0.1:1/0", {})  # building clients connects to nothing
    client = cache._cache.get_client("a")
    assert isinstance(client, redis.Redis)
    assert cache._cache.get_client("b") is client
    assert cache._cache.get_client("c", write=True) is client  # one server: one pool
    assert client.connection_pool is cache._cache._get_connection_pool(write=False)


def test_reads_from_the_other_servers_and_writes_to_the_first():
    cache = RedisCache("redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", {})
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    assert writer.connection_pool.connection_kwargs["port"] == 1
    assert reader.connection_pool.connection_kwargs["port"] == 2
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client() is reader


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"),
    reason="needs a Redis server: CELERY_BROKER_URL=redis://… (CI's Redis pass)",
)
def test_round_trip_through_a_real_redis():
    cache = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})
    cache.set("count", 3)
    cache.set("value", {"roles": ["provider"]})
    assert cache.get("count") == 3
    assert cache.incr("count") == 4
    assert cache.get("value") == {"roles": ["provider"]}
    assert cache.get_many(["count", "value", "missing"]) == {
        "count": 4,
        "value": {"roles": ["provider"]},
    }
    cache.delete_many(["count", "value"])
    assert cache.get("count") is None

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    # Rate limits are counted in the cache, keyed by token id: ids repeat between tests.
    cache.clear()
    settings.PSP_API_RATE = "10000/min"
    yield
    cache.clear()

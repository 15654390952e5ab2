"""{{ row.pk|address:"app:name" }}: what {% url "app:name" row.pk %} prints, reversed once
per process (psp.addresses), for the rows of long lists."""

from django import template

from psp import addresses

register = template.Library()


@register.filter
def address(pk: int, name: str) -> str:
    return addresses.address(name, pk)

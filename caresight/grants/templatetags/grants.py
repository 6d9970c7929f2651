from django import template

from caresight.grants.money import pounds as format_pounds

register = template.Library()


@register.filter
def pounds(value) -> str:
    """£1,751,000.00 (blank for None)."""
    return "" if value is None or value == "" else format_pounds(value)

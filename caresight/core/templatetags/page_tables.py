"""`{% table_body table %}`: a `core.tables.Table`'s body rows, for ``includes/table.html``."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def table_body(context, table):
    """The body rows; a table with buttons gets the CSRF field, as ``{% csrf_token %}`` gives."""
    csrf_input = ""
    token = context.get("csrf_token")
    if any(column.button for column in table.page_columns) and token:
        csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                                 token)
    return table.body_html(csrf_input)


"""The notifications list, through the shared table layer."""

from caresight.core.tables import Button, Column, Kind, Table

from .models import Kind as NotificationKind


def notifications_table(rows, *, csrf_action) -> Table:
    return Table(
        columns=[
            Column("created_at", "When", kind=Kind.DATETIME),
            Column("kind", "What", choices=NotificationKind),
            Column("subject", "Notification", link=lambda n: n.link or None,
                   hint=lambda n: n.body or None,
                   tag=lambda n: "New" if n.read_at is None else None, tag_tone="blue"),
            Column("read_at", "Read", kind=Kind.DATETIME, empty="Not yet",
                   button=lambda n: (Button("Mark as read", csrf_action(n), hidden=f": {n.subject}")
                                     if n.read_at is None else None)),
        ],
        rows=rows, title="Your notifications", caption_hidden=True,
        empty_message="You have no notifications yet.", testid="notifications")

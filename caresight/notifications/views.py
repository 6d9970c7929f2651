"""Your notifications and Notification settings: a signed-in person's own, nobody else's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from caresight.core.views import handle_form

from . import selectors, services, tables
from .forms import PreferencesForm


@login_required
def notification_list(request):
    rows = list(selectors.notification_list(user=request.user)[:200])
    table = tables.notifications_table(
        rows, csrf_action=lambda n: reverse("notifications:read-one", args=[n.pk]))
    return render(request, "notifications/list.html", {
        "table": table, "unread": sum(1 for n in rows if n.read_at is None)})


@login_required
@require_POST
def mark_read(request):
    count = services.mark_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:list")


@login_required
@require_POST
def mark_one_read(request, pk: int):
    services.mark_read(user=request.user, ids=[pk])  # only ever one's own
    return redirect("notifications:list")


@login_required
def preferences(request):
    choices = selectors.preference_choices(user=request.user)
    form = PreferencesForm(request.POST or None, kinds=list(choices), initial_choices=choices)
    done = handle_form(
        request, form, lambda data: services.preferences_set(user=request.user, choices=data),
        success_message="Your notification settings are saved.",
        redirect_to=reverse("notifications:settings"))
    if done:
        return done
    return render(request, "notifications/settings.html", {"form": form, "kinds": choices})

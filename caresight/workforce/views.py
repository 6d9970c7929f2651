"""Workforce pages: thin views over the workforce selectors and services."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from caresight.core import tenancy
from caresight.core.charts import line_chart_svg
from caresight.core.query import page_date, page_id
from caresight.core.tables import download_links, download_response
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import handle_form, history_page
from caresight.registry.selectors import area_choices

from . import selectors, services, tables
from .forms import TeamForm, TeamWeekEditForm, TeamWeekForm
from .models import COUNT_FIELDS, TREND_WEEK_CHOICES, TREND_WEEKS


def summary(request):
    """The sentence(s) for a day, each team's week then, and the weekly trend (chart and
    table, downloadable)."""
    tenancy.require(request.user, Capability.VIEW_PLANS)
    today = timezone.localdate()
    as_of = page_date(request, "as_of", today)
    authority = (request.GET.get("authority") or "").strip().upper() or None
    team = page_id(request, "team", "Team")
    weeks = request.GET.get("weeks")
    n_weeks = int(weeks) if weeks in {str(n) for n in TREND_WEEK_CHOICES} else TREND_WEEKS
    trend_rows = selectors.trend(user=request.user, as_of=as_of, weeks=n_weeks, team=team,
                                 authority=authority)
    trend = tables.trend_table(trend_rows)
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return download_response(request, trend, fmt,
                                 file_stem=f"workforce-absences-{as_of.isoformat()}")
    latest = selectors.weeks_as_of(user=request.user, as_of=as_of, team=team,
                                   authority=authority)
    chart = None
    if any(row["teams"] for row in trend_rows):
        chart = line_chart_svg(dates=[row["week_commencing"] for row in trend_rows],
                               series=tables.chart_series(trend_rows), y_label="Staff absent")
    return render(request, "workforce/summary.html", {
        "as_of": as_of, "as_of_text": long_date(as_of), "authority": authority or "",
        "team": team, "weeks": n_weeks,
        "week_choices": TREND_WEEK_CHOICES,
        "sentences": selectors.absence_sentences(latest, as_of=as_of, today=today),
        "latest": tables.teams_as_of_table(
            latest, title=f"Each team's latest week on {long_date(as_of)}"),
        "trend": trend, "chart": chart,
        "teams": selectors.team_list(user=request.user, authority=authority),
        "areas": area_choices(user=request.user, capability=Capability.VIEW_PLANS),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT),
        "can_manage": tenancy.has_capability(request.user, Capability.MANAGE_PLANS),
        "download_links": download_links(request),
    })


def team_new(request):
    tenancy.require(request.user, Capability.MANAGE_PLANS)
    form = TeamForm(request.POST or None,
                    authorities=tenancy.authorities(request.user, Capability.MANAGE_PLANS))
    done = handle_form(
        request, form, lambda data: services.team_create(user=request.user, **data),
        success_message=lambda team: f"Team {team.name} added.",
        redirect_to=lambda team: reverse("workforce:team-detail", args=[team.pk]),
        already_sent="That team was already added; it was added once.")
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Add a team", "button": "Add team",
        "back": reverse("workforce:summary")})


def team_detail(request, pk: int):
    team = tenancy.access_team(request.user, pk, Capability.VIEW_PLANS)
    can_manage = tenancy.allows(request.user, Capability.MANAGE_PLANS, team)
    return render(request, "workforce/team.html", {
        "team": team, "can_manage": can_manage,
        "weeks": tables.team_weeks_table(
            selectors.week_list(user=request.user, team=team.pk), can_manage=can_manage),
    })


def week_new(request, pk: int):
    team = tenancy.access_team(request.user, pk, Capability.MANAGE_PLANS)
    today = timezone.localdate()
    form = TeamWeekForm(request.POST or None,
                        initial={"week_commencing": selectors.monday(today)})
    done = handle_form(
        request, form, lambda data: services.team_week_record(team=team, user=request.user,
                                                              **data),
        success_message=lambda week: (
            f"The week commencing {long_date(week.week_commencing)} is recorded for "
            f"{team.name}."),
        redirect_to=reverse("workforce:team-detail", args=[team.pk]),
        already_sent="That week was already recorded; it was saved once.")
    if done:
        return done
    return render(request, "workforce/form.html", {
        "form": form, "team": team, "title": "Record a week", "button": "Save week",
        "intro": "Recording a week that is already recorded corrects it; the figures it "
                 "had are kept in its history."})


def week_edit(request, pk: int):
    week = tenancy.access_team_week(request.user, pk, Capability.MANAGE_PLANS)
    form = TeamWeekEditForm(request.POST or None, initial={
        **{field: getattr(week, field) for field in COUNT_FIELDS}, "note": week.note})
    done = handle_form(
        request, form, lambda data: services.team_week_update(week=week, user=request.user,
                                                              **data),
        success_message=f"The week commencing {long_date(week.week_commencing)} is corrected.",
        redirect_to=reverse("workforce:team-detail", args=[week.team_id]))
    if done:
        return done
    return render(request, "workforce/form.html", {
        "form": form, "team": week.team, "button": "Save changes",
        "title": f"Correct the week commencing {long_date(week.week_commencing)}"})


def week_history(request, pk: int):
    week = tenancy.access_team_week(request.user, pk, Capability.VIEW_PLANS)
    return history_page(request, week,
                        back_url=reverse("workforce:team-detail", args=[week.team_id]))

"""The dashboards: each role's figures, tenancy, suppression, the landing page and bad input."""

import datetime as dt

import pytest
from django.urls import reverse

from caresight.accounts.models import Role
from caresight.core import dashboards
from caresight.core.tenancy import OPERATOR, Capability
from caresight.grants import services as grants
from caresight.grants.tests.factories import accept, pay
from caresight.risk.selectors import risk_log

from .. import selectors, tables
from ..views import FUTURE, NOT_YOURS

pytestmark = pytest.mark.django_db


def figures(shown) -> dict:
    return {item.tile.key: item.figure for item in shown}


def signed_in(client, user):
    client.force_login(user)
    return client


# --- Figures ---------------------------------------------------------------------------------


def test_an_officer_sees_their_authoritys_figures_with_what_they_are_based_on(
        area, cambs, make_user):
    admin = make_user(Role.ADMIN, cambs)
    found = figures(selectors.officer_dashboard(user=admin, as_of=area["day"]))
    assert (found["returns_missing"].value, found["returns_missing"].based_on) == (1, 4)
    assert (found["returns_ppe_low"].value, found["returns_ppe_low"].based_on) == (2, 3)
    assert (found["returns_beds_vacant"].value, found["returns_beds_vacant"].based_on) == (15, 3)
    assert found["outbreaks_live"].value == 1 and found["outbreaks_new"].value == 1
    counts = risk_log(user=admin, as_of=area["day"]).counts()
    assert found["risk_red"].value == counts["red"]
    assert found["risk_amber"].value == counts["amber"]
    assert found["risk_red"].based_on == sum(counts.values()) == 4
    # Both instalments of the confirmed round are unpaid and due (the round is from 2020).
    assert found["grants_instalments_due"].value == 2
    assert found["grants_runs_awaiting"].value == 0
    assert found["plans_overdue"].value == 0 and found["governance_risks_due"].value == 0
    assert all(f.on == area["day"] for f in found.values())


def test_every_figure_links_to_the_list_behind_it_with_the_day_and_authority(
        area, cambs, make_user, client):
    admin = make_user(Role.ADMIN, cambs)
    shown = selectors.officer_dashboard(user=admin, as_of=area["day"],
                                        authority_codes=[cambs.ons_code])
    signed_in(client, admin)
    for item in shown:
        assert client.get(item.figure.url).status_code == 200, item.tile.key
    found = figures(shown)
    assert f"as_of={area['day'].isoformat()}" in found["returns_missing"].url
    assert f"authority={cambs.ons_code}" in found["returns_missing"].url
    assert "rating=red" in found["risk_red"].url and "show=live" in found["outbreaks_live"].url


def test_live_and_new_outbreaks_are_counted_as_the_tracker_counts_them(area, cambs, make_user):
    from caresight.outbreaks.selectors import tracker

    admin = make_user(Role.ADMIN, cambs)
    summary, _ = tracker(user=admin, as_of=area["day"])
    found = figures(selectors.officer_dashboard(user=admin, as_of=area["day"]))
    assert (found["outbreaks_live"].value, found["outbreaks_new"].value) == (
        summary["live"], summary["new"])
    before = figures(selectors.officer_dashboard(
        user=admin, as_of=area["day"] - dt.timedelta(days=3)))
    assert before["outbreaks_live"].value == 0  # not yet reported that day


def test_payment_runs_move_instalments_from_due_to_paid_and_count_what_was_withheld(
        area, cambs, make_user):
    finance = make_user(Role.FINANCE, cambs)
    round = area["round"]
    accept(round, area["provider"])  # the other two homes' providers have not signed
    pay(round, 1)
    grants.payment_run_create(round=round, instalment=round.instalments.get(number=2),
                              as_of=area["day"], user=OPERATOR)
    found = figures(selectors.officer_dashboard(user=finance, as_of=area["day"]))
    assert found["grants_instalments_due"].value == 1
    assert found["grants_withheld"].value == 2 and found["grants_withheld"].based_on == 1
    assert found["grants_runs_awaiting"].value == 1


def test_a_provider_sees_what_is_due_from_them(area, cambs, make_user):
    user = make_user(Role.PROVIDER_USER, cambs, provider=area["provider"])
    found = figures(selectors.provider_dashboard(user=user, as_of=area["day"]))
    assert (found["provider_returns_due"].value, found["provider_returns_due"].based_on) == (1, 2)
    assert found["provider_returns_overdue"].value == 1
    assert found["provider_letters"].value == 1 and found["provider_agreements"].value == 1
    assert found["provider_spend_returns"].value == 0
    accept(area["round"], area["provider"])
    pay(area["round"], 1)
    found = figures(selectors.provider_dashboard(user=user, as_of=area["day"]))
    assert found["provider_agreements"].value == 0 and found["provider_spend_returns"].value == 1
    assert set(found) == {"provider_returns_due", "provider_returns_overdue",
                          "provider_agreements", "provider_spend_returns", "provider_letters"}


# --- Tenancy ---------------------------------------------------------------------------------


def test_an_officer_never_sees_another_authoritys_figures(area, devon, make_user):
    devon_admin = make_user(Role.ADMIN, devon)
    found = figures(selectors.officer_dashboard(user=devon_admin, as_of=area["day"]))
    assert (found["returns_missing"].value, found["returns_missing"].based_on) == (1, 2)
    assert found["outbreaks_live"].value == 1
    assert found["grants_instalments_due"].value == 0  # Cambridgeshire's round


def test_a_provider_never_sees_another_providers_figures(area, cambs, make_user):
    from caresight.registry.tests.factories import ProviderFactory

    stranger = make_user(Role.PROVIDER_USER, cambs, provider=ProviderFactory(name="Other"))
    found = figures(selectors.provider_dashboard(user=stranger, as_of=area["day"]))
    assert found["provider_returns_due"].based_on == 0
    assert found["provider_letters"].value == 0


def test_another_councils_authority_is_answered_as_one_that_does_not_exist(
        area, cambs, devon, make_user, client):
    signed_in(client, make_user(Role.COMMISSIONER, cambs))
    theirs = client.get(reverse("home"), {"authority": devon.ons_code})
    nowhere = client.get(reverse("home"), {"authority": "E99999999"})
    assert theirs.status_code == nowhere.status_code == 400
    for response in (theirs, nowhere):
        assert NOT_YOURS in response.content.decode()
        assert "Dartmoor House" not in response.content.decode()
    assert theirs.context["authority"] == nowhere.context["authority"] == ""
    missing = {i.tile.key: i.figure for _, items in theirs.context["groups"] for i in items}
    assert missing["returns_missing"].based_on == 4  # Cambridgeshire's, not Devon's


def test_viewers_see_counts_by_authority_with_small_numbers_suppressed(
        area, cambs, devon, make_user, client):
    viewer = make_user(Role.VIEWER, cambs, devon)
    tiles, rows = selectors.aggregate_rows(user=viewer, as_of=area["day"])
    assert {t.key for t in tiles} >= {"risk_red", "outbreaks_live", "returns_missing"}
    assert "grants_instalments_due" not in {t.key for t in tiles}
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {cambs.ons_code, devon.ons_code}
    assert by_code[cambs.ons_code]["returns_missing"] == 1
    assert by_code[cambs.ons_code]["returns_beds_vacant"] == 15
    signed_in(client, viewer)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "fewer than 5" in page and "15" in page
    assert "Fen View" not in page and "Ouse Lodge" not in page  # no record-level data
    csv = client.get(reverse("home"), {"download": "csv"}).content.decode()
    assert "fewer than 5" in csv and "Cambridgeshire" in csv


def test_viewers_only_see_their_own_authorities(area, devon, make_user):
    viewer = make_user(Role.VIEWER, devon)
    _, rows = selectors.aggregate_rows(user=viewer, as_of=area["day"])
    assert [row["code"] for row in rows] == [devon.ons_code]
    assert rows[0]["returns_missing"] == 1 and rows[0]["outbreaks_live"] == 1


def test_suppression_leaves_zero_and_five_or_more_and_follows_the_setting(settings):
    assert [dashboards.suppress(n) for n in (0, 1, 4, 5, None)] == [
        0, "fewer than 5", "fewer than 5", 5, None]
    settings.CARESIGHT_SUPPRESS_BELOW = 10
    assert dashboards.suppress(9) == "fewer than 10" and dashboards.suppress(10) == 10


def test_totals_are_suppressed_too():
    tile = dashboards.TILES["returns_missing"]
    table = tables.aggregate_table([tile], [{"authority": "A", "code": "E1",
                                             "returns_missing": 1},
                                            {"authority": "B", "code": "E2",
                                             "returns_missing": 2}])
    assert table.totals()["returns_missing"] == "fewer than 5"


# --- Landing page and roles ------------------------------------------------------------------


@pytest.mark.parametrize(("role", "template"), [
    (Role.ADMIN, "dashboards/officer.html"),
    (Role.COMMISSIONER, "dashboards/officer.html"),
    (Role.QUALITY_OFFICER, "dashboards/officer.html"),
    (Role.PUBLIC_HEALTH, "dashboards/officer.html"),
    (Role.FINANCE, "dashboards/officer.html"),
    (Role.PARTNER, "dashboards/officer.html"),
    (Role.PROVIDER_USER, "dashboards/provider.html"),
    (Role.VIEWER, "dashboards/aggregates.html"),
])
def test_each_role_lands_on_its_dashboard(role, template, area, cambs, make_user, client):
    provider = area["provider"] if role == Role.PROVIDER_USER else None
    signed_in(client, make_user(role, cambs, provider=provider))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_each_role_sees_only_the_tiles_its_capabilities_allow(area, cambs, make_user):
    finance = figures(selectors.officer_dashboard(
        user=make_user(Role.FINANCE, cambs), as_of=area["day"]))
    assert "grants_instalments_due" in finance and "outbreaks_live" not in finance
    health = figures(selectors.officer_dashboard(
        user=make_user(Role.PUBLIC_HEALTH, cambs), as_of=area["day"]))
    assert "outbreaks_live" in health and "grants_withheld" not in health


def test_someone_with_no_role_is_sent_to_their_account(db, client):
    from caresight.accounts.models import User

    user = User.objects.create_user(email="nobody@example.org", password="x" * 20)
    signed_in(client, user)
    assert client.get(reverse("home")).url == reverse("accounts:account")


def test_signing_in_lands_on_the_dashboard(client, area, cambs, make_user):
    user = make_user(Role.COMMISSIONER, cambs)
    signed_in(client, user)
    response = client.get(reverse("home"))
    assert "Dashboard" in response.content.decode()


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2020-13-45", "yesterday", "1999-12-31"])
def test_a_bad_date_shows_today_with_a_message_naming_the_field(value, area, cambs, make_user,
                                                                client):
    signed_in(client, make_user(Role.COMMISSIONER, cambs))
    response = client.get(reverse("home"), {"as_of": value})
    assert response.status_code == 400
    assert response.context["as_of"] == area["day"]
    assert "Date" in response.content.decode()


def test_a_date_in_the_future_is_refused(area, cambs, make_user, client):
    signed_in(client, make_user(Role.VIEWER, cambs))
    response = client.get(reverse("home"), {
        "as_of": (area["day"] + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert FUTURE in response.content.decode()
    assert response.context["as_of"] == area["day"]


def test_a_past_date_shows_that_days_figures(area, cambs, make_user, client):
    signed_in(client, make_user(Role.COMMISSIONER, cambs))
    day = area["day"] - dt.timedelta(days=30)
    response = client.get(reverse("home"), {"as_of": day.isoformat()})
    assert response.status_code == 200
    found = {i.tile.key: i.figure for _, items in response.context["groups"] for i in items}
    assert found["returns_missing"].value == 4 and found["returns_missing"].on == day


def test_an_unknown_download_format_is_refused(area, cambs, make_user, client):
    signed_in(client, make_user(Role.VIEWER, cambs))
    assert client.get(reverse("home"), {"download": "exe"}).status_code == 400


def test_a_tile_registered_twice_under_one_key_is_refused():
    tile = dashboards.TILES["risk_red"]
    dashboards.register_tile(tile)  # the same one again is fine
    with pytest.raises(ValueError):
        dashboards.register_tile(dashboards.Tile(key="risk_red", label="Other",
                                                 capability=Capability.VIEW_RECORDS,
                                                 figure=tile.figure, group="Other"))


def test_based_on_reads_as_a_sentence_for_one_and_for_many():
    one = dashboards.Figure(value=2, on=dt.date(2020, 6, 4), url="/", based_on=1,
                            based_on_label="rounds")
    many = dashboards.Figure(value=2, on=dt.date(2020, 6, 4), url="/", based_on=1200)
    assert one.based_on_text == "Based on 1 round"
    assert many.based_on_text == "Based on 1,200 services"


def test_the_chart_is_drawn_once_for_the_same_figures(area, cambs, make_user, client,
                                                       monkeypatch):
    from .. import views

    drawn = []
    real = views.line_chart_svg
    monkeypatch.setattr(views, "line_chart_svg",
                        lambda **kw: drawn.append(1) or real(**kw))
    signed_in(client, make_user(Role.COMMISSIONER, cambs))
    first = client.get(reverse("home"), {"as_of": "2020-01-02"})
    second = client.get(reverse("home"), {"as_of": "2020-01-02"})
    assert first.context["chart"] == second.context["chart"] and "<svg" in first.context["chart"]
    assert len(drawn) <= 1

"""Generated reports: building from live data, narrative entries, settings, publishing (frozen,
hashed, never rebuilt), what changed since, files, pages, tenancy and the command."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document
from pypdf import PdfReader

from caresight.accounts.models import Role
from caresight.core.tenancy import OPERATOR
from caresight.workforce.tests.factories import team, week

from .. import selectors, services
from ..kinds import format_sections, kinds, parse_sections
from ..models import NarrativeEntry, PublishedReport

AS_OF = dt.date(2020, 11, 30)
IN_PERIOD = dt.date(2020, 11, 26)


@pytest.fixture
def officer(cambs, make_user):
    return make_user(Role.COMMISSIONER, cambs)


@pytest.fixture
def data(cambs, officer):
    """A week of the commissioning team's absences and two narrative entries in the period,
    one outside it."""
    week(team(cambs), on=dt.date(2020, 11, 23), absent_shielding=12)
    services.entry_create(user=officer, authority=cambs, section="new_guidance",
                          service_area="Adults", on=IN_PERIOD,
                          text="DHSC instruction on designated settings.")
    services.entry_create(user=officer, authority=cambs, section="recovery", on=AS_OF,
                          text="Day services mobilised at <b>reduced</b> capacity.")
    services.entry_create(user=officer, authority=cambs, section="recovery",
                          on=dt.date(2020, 11, 1), text="An entry from an earlier week.")


def build(user=OPERATOR, kind="highlight", codes=("E10000003",), as_of=AS_OF, **kwargs):
    return selectors.report_figures(user=user, kind=kind, authority_codes=list(codes),
                                    as_of=as_of, **kwargs)


def section(figures, key):
    return next(s for s in figures["sections"] if s["key"] == key)


@pytest.mark.django_db
class TestBuilding:
    def test_the_highlight_report_has_the_seed_sections_in_order(self, data):
        figures = build()
        assert [s["heading"] for s in figures["sections"]] == [
            "New guidance and impact", "New challenges and activity", "Recovery activities",
            "Decisions made since the last reporting period",
            "New COVID-19 financial implications since the last reporting period",
            "Workforce challenges", "Communications", "Upcoming issues and horizon scanning"]
        assert figures["period"] == "24 November 2020 to 30 November 2020"
        assert figures["area_name"] == "Cambridgeshire"

    def test_entries_in_the_period_are_in_their_sections_and_others_are_not(self, data):
        figures = build()
        guidance = section(figures, "new_guidance")["entries"]
        assert [(e["service_area"], e["text"]) for e in guidance] == [
            ("Adults", "DHSC instruction on designated settings.")]
        assert [e["text"] for e in section(figures, "recovery")["entries"]] == [
            "Day services mobilised at <b>reduced</b> capacity."]

    def test_data_sections_come_from_the_apps(self, data):
        workforce = section(build(), "workforce")["data"]
        assert [d["key"] for d in workforce] == ["workforce"]
        text = json.dumps(workforce[0]["figures"])
        assert "12" in text and "Commissioning" in text

    def test_the_same_data_gives_the_same_figures_and_hash(self, data):
        first, second = build(), build()
        assert selectors.canonical_json(first) == selectors.canonical_json(second)
        assert selectors.figures_hash(first) == selectors.figures_hash(second)

    def test_a_date_before_any_data_is_a_report_that_says_so(self, cambs):
        figures = build(as_of=dt.date(2019, 1, 6))
        assert section(figures, "new_guidance")["entries"] == []
        assert figures["period"] == "31 December 2018 to 6 January 2019"

    def test_a_period_that_ends_before_it_starts_is_refused(self, cambs):
        with pytest.raises(ValidationError) as refused:
            build(period_from=AS_OF + dt.timedelta(days=1))
        assert refused.value.message_dict["period_from"] == [
            "The reporting period starts on 1 December 2020, after it ends (30 November "
            "2020)."]

    def test_a_report_date_in_the_future_is_refused(self, cambs):
        with pytest.raises(ValidationError) as refused:
            build(as_of=dt.date.today() + dt.timedelta(days=2))
        assert "is in the future" in refused.value.message_dict["as_of"][0]

    def test_an_authority_out_of_scope_is_not_found(self, officer):
        from django.http import Http404

        with pytest.raises(Http404):
            build(user=officer, codes=["E10000008"])

    def test_a_joint_report_names_both_and_labels_each_entry(self, data, cambs,
                                                           peterborough, officer):
        services.entry_create(user=OPERATOR, authority=peterborough, section="recovery",
                              on=AS_OF, text="Peterborough's recovery group met.")
        figures = build(codes=["E10000003", "E06000031"])
        assert figures["area_name"] == "Cambridgeshire and Peterborough"
        recovery = section(figures, "recovery")["entries"]
        assert {(e["authority"], e["text"][:11]) for e in recovery} == {
            ("Cambridgeshire", "Day service"), ("Peterborough", "Peterboroug")}

    def test_a_section_the_user_may_not_see_is_withheld(self, cambs, make_user):
        partner = make_user(Role.PARTNER, cambs)  # no Infection Control Fund figures
        financial = section(build(user=partner), "financial")["data"]
        grants = next(d for d in financial if d["key"] == "infection_control_fund")
        assert grants == {"key": "infection_control_fund",
                          "heading": grants["heading"],
                          "withheld": "Not shown: you do not have access to these figures."}


@pytest.mark.django_db
class TestSettings:
    def test_sections_lines_read_back(self):
        sections = [dict(s, data=s.get("data", [])) for s in kinds()["highlight"].sections]
        known = {d for s in sections for d in s["data"]}
        assert parse_sections(format_sections(sections), known_data=known) == sections

    @pytest.mark.parametrize("line, message", [
        ("recovery", "Line 1: write the section's key and heading"),
        ("Recovery | Recovery", "Line 1: the key “Recovery” may have only lower-case"),
        ("recovery | Recovery | fuel", "Line 1: there is no data section called “fuel”"),
        ("recovery | Recovery | | maybe", "Line 1: the last part is “narrative”"),
    ])
    def test_a_bad_sections_line_is_refused_naming_it(self, line, message):
        with pytest.raises(ValueError, match=message):
            parse_sections(line, known_data={"workforce"})

    def test_an_authority_sets_its_title_author_sections_and_logo(self, data, cambs, officer):
        png = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
        services.settings_update(
            user=officer, authority=cambs, kind="highlight", title="Weekly highlights",
            author_line="Caroline Townsend", service_areas="Commissioning",
            sections_text="recovery | Recovery activities\nworkforce | Workforce | workforce",
            logo=io.BytesIO(png))
        figures = build()
        assert (figures["title"], figures["author_line"], figures["service_areas"]) == (
            "Weekly highlights", "Caroline Townsend", "Commissioning")
        assert [s["heading"] for s in figures["sections"]] == ["Recovery activities",
                                                               "Workforce"]
        assert figures["logo_sha256"]

    def test_a_logo_that_is_not_an_image_is_refused(self, cambs, officer):
        with pytest.raises(ValidationError) as refused:
            services.settings_update(user=officer, authority=cambs, kind="highlight",
                                     title="T", author_line="", service_areas="",
                                     sections_text="recovery | Recovery",
                                     logo=io.BytesIO(b"%PDF-1.4 not an image"))
        assert refused.value.message_dict["logo"] == ["The logo must be a PNG or JPEG image."]


@pytest.mark.django_db
class TestNarrative:
    def test_an_empty_entry_or_one_in_the_future_is_refused(self, cambs, officer):
        with pytest.raises(ValidationError) as empty:
            services.entry_create(user=officer, authority=cambs, section="recovery",
                                  on=AS_OF, text="   ")
        assert empty.value.message_dict == {"text": ["Enter what the entry says."]}
        with pytest.raises(ValidationError) as future:
            services.entry_create(user=officer, authority=cambs, section="recovery",
                                  on=dt.date.today() + dt.timedelta(days=1), text="Later")
        assert "is in the future" in future.value.message_dict["on"][0]
        assert NarrativeEntry.objects.count() == 0

    def test_edits_are_audited(self, data, officer):
        entry = NarrativeEntry.objects.get(section="new_guidance")
        services.entry_update(user=officer, entry=entry, section="new_guidance",
                              service_area="Adults", on=IN_PERIOD, text="Corrected.")
        history = entry.history.order_by("history_date")
        assert [h.text for h in history] == ["DHSC instruction on designated settings.",
                                             "Corrected."]
        assert history.last().history_user == officer


@pytest.mark.django_db
class TestPublishing:
    def test_publishing_keeps_figures_hash_and_three_real_files(self, data, officer):
        report = services.report_publish(user=officer, kind="highlight",
                                         authority_codes=["E10000003"], as_of=AS_OF)
        assert report.figures_sha256 == selectors.figures_hash(report.figures)
        assert report.figures == build()
        pdf_text = "".join(page.extract_text() for page in
                           PdfReader(io.BytesIO(bytes(report.pdf))).pages)
        assert "Service highlight report" in pdf_text
        assert "Day services mobilised at <b>reduced</b> capacity." in pdf_text  # plain text
        document = Document(io.BytesIO(bytes(report.docx)))
        paragraphs = [p.text for p in document.paragraphs]
        assert "Recovery activities" in paragraphs
        assert "Day services mobilised at <b>reduced</b> capacity." in paragraphs
        assert any("Commissioning" in cell.text for table in document.tables
                   for row in table.rows for cell in row.cells)
        assert "&lt;b&gt;reduced&lt;/b&gt;" in report.html and "<b>reduced" not in report.html
        assert report.history.get().history_user == officer

    def test_publishing_twice_is_refused_and_nothing_is_rebuilt(self, data, officer):
        first = services.report_publish(user=officer, kind="highlight",
                                        authority_codes=["E10000003"], as_of=AS_OF)
        with pytest.raises(ValidationError) as refused:
            services.report_publish(user=officer, kind="highlight",
                                    authority_codes=["E10000003"], as_of=AS_OF)
        assert "was already published on" in refused.value.messages[0]
        assert "A published report is never rebuilt" in refused.value.messages[0]
        assert PublishedReport.objects.get().pk == first.pk

    def test_a_published_report_is_frozen_and_says_what_changed(self, data, cambs, officer):
        report = services.report_publish(user=officer, kind="highlight",
                                         authority_codes=["E10000003"], as_of=AS_OF)
        kept = report.figures
        week(team(cambs, name="Brokerage"), on=dt.date(2020, 11, 23), absent_symptoms=3)
        services.entry_create(user=officer, authority=cambs, section="recovery", on=AS_OF,
                              text="A late entry.")
        report.refresh_from_db()
        assert report.figures == kept
        live = build()
        changes = selectors.figure_changes(kept, live)
        assert changes, "a new team's absences change the workforce figures"
        assert all(c["figure"].startswith("Council workforce") or "orkforce" in c["figure"]
                   for c in changes)
        assert selectors.narrative_changes(kept, live) == 1

    def test_no_changes_when_nothing_changed(self, data, officer):
        report = services.report_publish(user=officer, kind="highlight",
                                         authority_codes=["E10000003"], as_of=AS_OF)
        assert selectors.figure_changes(report.figures, build()) == []

    def test_new_settings_are_not_changes_to_a_published_report(self, data, cambs, officer):
        report = services.report_publish(user=officer, kind="highlight",
                                         authority_codes=["E10000003"], as_of=AS_OF)
        services.settings_update(user=officer, authority=cambs, kind="highlight", title="New",
                                 author_line="", service_areas="",
                                 sections_text="recovery | Recovery")
        again = selectors.report_figures(user=OPERATOR, kind="highlight",
                                         authority_codes=["E10000003"], as_of=AS_OF,
                                         like=report.figures)
        assert selectors.figure_changes(report.figures, again) == []
        assert len(build()["sections"]) == 1  # a new build follows the new settings

    def test_a_reader_publishes_nothing(self, data, cambs, make_user):
        from django.http import Http404

        reader = make_user(Role.QUALITY_OFFICER, cambs)
        with pytest.raises(Http404):
            services.report_publish(user=reader, kind="highlight",
                                    authority_codes=["E10000003"], as_of=AS_OF)
        assert PublishedReport.objects.count() == 0


@pytest.mark.django_db
class TestPages:
    def test_the_report_page_shows_entries_escaped_and_data(self, client, data, officer):
        client.force_login(officer)
        response = client.get(reverse("reports:build"), {
            "kind": "highlight", "authority": "E10000003", "as_of": AS_OF.isoformat()})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Day services mobilised at &lt;b&gt;reduced&lt;/b&gt; capacity." in page
        assert "Workforce challenges" in page
        assert 'data-testid="publish"' in page

    def test_a_bad_period_is_a_clear_message(self, client, cambs, officer):
        client.force_login(officer)
        response = client.get(reverse("reports:build"), {
            "kind": "highlight", "authority": "E10000003", "as_of": "2020-11-30",
            "from": "2020-12-05"})
        assert response.status_code == 400
        assert "after it ends (30 November 2020)" in response.content.decode()

    def test_draft_downloads_are_real_files(self, client, data, officer):
        client.force_login(officer)
        query = {"kind": "highlight", "authority": "E10000003", "as_of": AS_OF.isoformat()}
        pdf = client.get(reverse("reports:build"), {**query, "format": "pdf"})
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        docx = client.get(reverse("reports:build"), {**query, "format": "docx"})
        assert zipfile.ZipFile(io.BytesIO(docx.content)).testzip() is None
        assert 'filename="weekly-highlight-report-cambridgeshire-2020-11-30-draft.docx"' in \
            docx["Content-Disposition"]

    def test_publish_then_the_published_page_and_files(self, client, data, cambs, officer):
        client.force_login(officer)
        response = client.post(reverse("reports:publish"), {
            "kind": "highlight", "authority": "E10000003", "as_of": AS_OF.isoformat(),
            "from": "2020-11-24"})
        report = PublishedReport.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:published", args=[report.pk])
        page = client.get(response["Location"]).content.decode()
        assert "are the same as when this report was published" in page
        week(team(cambs, name="Brokerage"), on=dt.date(2020, 11, 23), absent_symptoms=3)
        page = client.get(response["Location"]).content.decode()
        assert "have changed since this report was published" in page
        pdf = client.get(reverse("reports:published-file", args=[report.pk, "pdf"]))
        assert bytes(pdf.content) == bytes(report.pdf)
        again = client.post(reverse("reports:publish"), {
            "kind": "highlight", "authority": "E10000003", "as_of": AS_OF.isoformat(),
            "from": "2020-11-24"}, follow=True)
        assert "was already published on" in again.content.decode()
        assert PublishedReport.objects.count() == 1

    def test_a_joint_report_is_hidden_from_an_officer_of_one_council(
            self, client, data, peterborough, make_user):
        report = services.report_publish(user=OPERATOR, kind="highlight",
                                         authority_codes=["E10000003", "E06000031"],
                                         as_of=AS_OF)
        own = services.report_publish(user=OPERATOR, kind="highlight",
                                      authority_codes=["E06000031"], as_of=AS_OF)
        client.force_login(make_user(Role.COMMISSIONER, peterborough))
        assert client.get(reverse("reports:published", args=[report.pk])).status_code == 404
        assert client.get(reverse("reports:published", args=[own.pk])).status_code == 200
        listed = client.get(reverse("reports:published-list")).content.decode()
        assert "Cambridgeshire and Peterborough" not in listed and "Peterborough" in listed

    def test_an_entry_through_the_form(self, client, cambs, officer):
        client.force_login(officer)
        form = client.get(reverse("reports:entry-new"))
        token = form.context["form"]["submission_token"].value()
        response = client.post(reverse("reports:entry-new"), {
            "authority": cambs.pk, "section": "horizon", "service_area": "Children's",
            "on": AS_OF.isoformat(), "text": "Covid Recovery Commission report.",
            "submission_token": token})
        assert response.status_code == 302
        entry = NarrativeEntry.objects.get()
        assert (entry.section, entry.author, entry.service_area) == ("horizon", officer,
                                                                     "Children's")

    def test_a_provider_user_has_no_reports(self, client, cambs, make_user):
        from caresight.registry.tests.factories import LocationFactory

        home = LocationFactory(authority=cambs)
        client.force_login(make_user(Role.PROVIDER_USER, cambs, provider=home.provider))
        assert client.get(reverse("reports:index")).status_code == 403


@pytest.mark.django_db
class TestReportsDueTile:
    def test_councils_without_last_weeks_highlight_report_are_due(self, cambs, peterborough,
                                                                 make_user):
        from ..tiles import _due, last_week

        officer = make_user(Role.COMMISSIONER, cambs, peterborough)
        today = dt.date(2020, 12, 2)  # a Wednesday
        assert last_week(today) == (dt.date(2020, 11, 23), dt.date(2020, 11, 29))
        figure = _due(officer, today, [])
        assert (figure.value, figure.based_on) == (2, 2)
        services.report_publish(user=OPERATOR, kind="highlight",
                                authority_codes=["E06000031"], as_of=dt.date(2020, 11, 29),
                                period_from=dt.date(2020, 11, 23))
        assert _due(officer, today, []).value == 1
        assert _due(officer, today, ["E06000031"]).value == 0
        assert "as_of=2020-11-29" in figure.url and "from=2020-11-23" in figure.url


@pytest.mark.django_db
class TestCommand:
    def test_build_writes_each_format(self, data, tmp_path):
        for fmt, start in (("pdf", b"%PDF"), ("docx", b"PK"), ("html", b"<!DOCTYPE html>")):
            out = tmp_path / f"report.{fmt}"
            call_command("report", "build", "highlight", "--authority", "E10000003",
                         "--as-of", AS_OF.isoformat(), "--format", fmt, "--output", str(out),
                         stdout=io.StringIO())
            assert out.read_bytes().startswith(start)

    def test_publish_then_publish_again_is_refused(self, data):
        out = io.StringIO()
        call_command("report", "publish", "outbreak-update", "--authority", "E10000003",
                     "--as-of", AS_OF.isoformat(), stdout=out)
        assert "Published COVID-19 outbreak update for Cambridgeshire" in out.getvalue()
        with pytest.raises(CommandError, match="was already published on"):
            call_command("report", "publish", "outbreak-update", "--authority", "E10000003",
                         "--as-of", AS_OF.isoformat(), stdout=io.StringIO())

    def test_a_period_ending_before_it_starts_is_refused(self, cambs, tmp_path):
        with pytest.raises(CommandError, match="after it ends"):
            call_command("report", "build", "committee", "--authority", "E10000003",
                         "--as-of", "2020-11-30", "--from", "2020-12-01", "--output",
                         str(tmp_path / "x.pdf"))

"""The table layer: each kind formats right, totals add up, every file format is typed and
safe from formula injection, and downloads are logged."""

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest
import tablib
from django.db import models
from django.template.loader import render_to_string
from django.test import RequestFactory

from caresight.core import tables
from caresight.core.models import DownloadRecord
from caresight.core.tables import Column, Kind, Table


class ServiceKind(models.TextChoices):
    CARE_HOME_NURSING = "care_home_nursing", "Care home with nursing"
    HOME_CARE = "home_care", "Home care"


COLUMNS = [
    Column("provider", "Provider", value="provider.name", row_header=True),
    Column("service_type", "Type of service", choices=ServiceKind),
    Column("beds", "Registered beds", kind=Kind.WHOLE, total=True),
    Column("allocated", "Allocated", kind=Kind.MONEY, total=True),
    Column("signed_on", "Signed", kind=Kind.DATE, empty="Not signed"),
    Column("rate", "Returned", kind=Kind.PERCENT),
]


def rows():
    return [
        {"provider": {"name": "Acorn Care"}, "service_type": "care_home_nursing", "beds": 1200,
         "allocated": Decimal("283594.25"), "signed_on": dt.date(2026, 12, 2), "rate": 75.0},
        {"provider": {"name": "=1+1"}, "service_type": "home_care", "beds": 34,
         "allocated": Decimal("0.50"), "signed_on": None, "rate": 33.333},
    ]


def table(**options):
    return Table(columns=COLUMNS, rows=rows(), title="Allocations", **options)


class TestKinds:
    def test_each_kind_reads_as_people_write_it(self):
        body = list(table().body)
        assert [c.text for c in body[0]] == [
            "Acorn Care", "Care home with nursing", "1,200", "£283,594.25", "2 December 2026",
            "75.0%"]
        assert [c.text for c in body[1]][4:] == ["Not signed", "33.3%"]
        assert [c.numeric for c in body[0]] == [False, False, True, True, False, True]

    def test_money_keeps_its_sign_and_pence(self):
        assert tables.format_money(Decimal("-12")) == "-£12.00"
        assert tables.format_money("1234.5") == "£1,234.50"

    def test_totals_add_up_to_the_penny(self):
        totals = table().totals()
        assert totals == {"beds": 1234, "allocated": Decimal("283594.75")}
        footer = [c.text for c in table().footer]
        assert footer == ["Total", "", "1,234", "£283,594.75", "", ""]

    def test_a_table_without_totals_has_no_totals_row(self):
        plain = Table(columns=[COLUMNS[0], COLUMNS[5]], rows=rows(), title="Rates")
        assert plain.footer is None

    def test_the_include_right_aligns_numbers_and_shows_the_totals_row(self):
        html = render_to_string("includes/table.html", {"table": table(caption="Who got what")})
        assert '<caption class="govuk-table__caption govuk-table__caption--m">Who got what' in html
        assert html.count("govuk-table__header--numeric") == 3
        assert '<td class="govuk-table__cell govuk-table__cell--numeric">£283,594.25</td>' in html
        assert "<tfoot" in html and "£283,594.75" in html
        assert '<th scope="row" class="govuk-table__header">Acorn Care</th>' in html

    def test_links_and_an_empty_table(self):
        linked = Column("provider", "Provider", value="provider.name",
                        link=lambda row: f"/providers/{row['beds']}/")
        html = render_to_string("includes/table.html", {"table": Table(
            columns=[linked], rows=rows(), title="Providers")})
        assert '<a class="govuk-link" href="/providers/34/">=1+1</a>' in html
        empty = render_to_string("includes/table.html", {"table": Table(
            columns=COLUMNS, rows=[], title="None", empty_message="No providers yet.")})
        assert 'colspan="6">No providers yet.' in empty and "<tfoot" not in empty


    def test_test_ids_on_a_table_its_cells_and_its_totals_row(self):
        columns = [Column("provider", "Provider", value="provider.name", testid=lambda r: "name",
                          link=lambda row: f"/providers/{row['beds']}/"),
                   Column("beds", "Beds", kind=Kind.WHOLE, total=True,
                          testid=lambda r: f"beds-{r['beds']}")]
        html = render_to_string("includes/table.html", {"table": Table(
            columns=columns, rows=rows(), title="Beds", testid="beds", totals_testid="totals")})
        assert '<table class="govuk-table" data-testid="beds">' in html
        assert '<a class="govuk-link" href="/providers/34/" data-testid="name">=1+1</a>' in html
        assert 'data-testid="beds-1200">1,200</td>' in html
        assert '<tr class="govuk-table__row" data-testid="totals"><th' in html


class TestFiles:
    def test_csv_has_human_headers_labels_and_iso_dates(self):
        body, count = tables.render(table(), "csv")
        assert count == 2 and body.startswith(b"\xef\xbb\xbf")
        lines = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert lines[0] == {"Provider": "Acorn Care", "Type of service": "Care home with nursing",
                            "Registered beds": "1200", "Allocated": "283594.25",
                            "Signed": "2026-12-02", "Returned": "75.0"}

    def test_json_keeps_machine_keys_iso_dates_and_money_as_text(self):
        body, count = tables.render(table(), "json")
        data = json.loads(body)
        assert count == 2
        assert data[0] == {"provider": "Acorn Care", "service_type": "Care home with nursing",
                           "beds": 1200, "allocated": "283594.25", "signed_on": "2026-12-02",
                           "rate": 75.0}
        assert data[1]["signed_on"] is None and data[1]["provider"] == "=1+1"  # JSON is data

    def test_xlsx_cells_are_real_dates_and_numbers_with_a_frozen_filtered_header(self):
        body, _ = tables.render(table(), "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        assert sheet.title == "Allocations"
        assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
        assert sheet["A1"].font.bold
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == "A1:F3"
        assert sheet["C2"].value == 1200 and sheet["C2"].number_format == "#,##0"
        assert sheet["D2"].value == pytest.approx(283594.25)
        assert sheet["D2"].number_format == "£#,##0.00"
        assert sheet["E2"].value == dt.datetime(2026, 12, 2)  # a date cell, not text
        assert sheet["E2"].is_date and sheet["E3"].value is None
        assert sheet["F2"].value == pytest.approx(0.75) and sheet["F2"].number_format == "0.0%"
        assert sheet["B2"].value == "Care home with nursing"

    def test_ods_opens_with_typed_cells(self):
        body, _ = tables.render(table(), "ods")
        dataset = tablib.Dataset().load(io.BytesIO(body), format="ods")
        assert dataset.headers == [c.header for c in COLUMNS]
        assert dataset["Type of service"] == ["Care home with nursing", "Home care"]
        assert dataset["Registered beds"][0] == 1200.0  # a number cell
        assert dataset["Signed"][0] == dt.date(2026, 12, 2)  # a date cell
        assert b'office:value-type="currency"' in _ods_content(body)

    def test_every_xlsx_sheet_of_a_book_has_a_frozen_filtered_header(self):
        book = tables.Book(title="Summary", tables=[table(), Table(
            columns=COLUMNS[:2], rows=rows()[:1], title="Services")])
        workbook = openpyxl.load_workbook(io.BytesIO(tables.render_book(book, "xlsx")[0]))
        assert [(s.title, s.freeze_panes, s.auto_filter.ref) for s in workbook] == [
            ("Allocations", "A2", "A1:F3"), ("Services", "A2", "A1:B2")]

    def test_every_ods_sheet_has_a_frozen_header_row_and_an_autofilter(self):
        assert _ods_view(tables.render(table(), "ods")[0]) == (
            ["Allocations"], {"'Allocations'.A1:'Allocations'.F3"}, {"Allocations": FROZEN})
        book = tables.Book(title="Summary", tables=[table(), Table(
            columns=COLUMNS[:2], rows=rows()[:1], title="Services")])
        assert _ods_view(tables.render_book(book, "ods")[0]) == (
            ["Allocations", "Services"],
            {"'Allocations'.A1:'Allocations'.F3", "'Services'.A1:'Services'.B2"},
            {"Allocations": FROZEN, "Services": FROZEN})

    def test_an_unknown_format_is_refused(self):
        with pytest.raises(ValueError, match="choose one of csv, json, xlsx, ods"):
            tables.render(table(), "pdf")


TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"


# LibreOffice's settings for a frozen first row: split rows (not columns) at row 1, the lower
# pane active and scrolled from row 1
FROZEN = {"VerticalSplitMode": "2", "VerticalSplitPosition": "1", "ActiveSplitRange": "2",
          "PositionBottom": "1", "HorizontalSplitMode": "0"}


def _ods_view(body: bytes) -> tuple[list, set, dict]:
    """An ODS file's sheet names, autofilter ranges (content.xml) and each sheet's split
    settings (settings.xml)."""
    content = ElementTree.fromstring(_ods_content(body))
    names = [s.get(f"{{{TABLE}}}name") for s in content.iter(f"{{{TABLE}}}table")]
    filters = {r.get(f"{{{TABLE}}}target-range-address")
               for r in content.iter(f"{{{TABLE}}}database-range")
               if r.get(f"{{{TABLE}}}display-filter-buttons") == "true"}
    settings = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(body)).read("settings.xml"))
    splits = {}
    for entry in settings.iter(f"{{{CONFIG}}}config-item-map-entry"):
        items = {i.get(f"{{{CONFIG}}}name"): i.text
                 for i in entry.findall(f"{{{CONFIG}}}config-item")}
        if "VerticalSplitMode" in items:
            splits[entry.get(f"{{{CONFIG}}}name")] = {k: items[k] for k in FROZEN}
    return names, filters, splits


def _ods_content(body: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(body)).read("content.xml")


class TestFormulaInjection:
    @pytest.mark.parametrize("text", ["=1+1", "+44 1223", "-2+3", "@SUM(A1)", "\tx", "\rx"])
    def test_every_formula_start_is_made_text(self, text):
        assert tables.safe_cell(text) == "'" + text

    def test_plain_text_and_numbers_are_left_alone(self):
        assert tables.safe_cell("Acorn Care") == "Acorn Care"
        assert tables.safe_cell(Decimal("-12.00")) == Decimal("-12.00")
        assert tables.safe_cell(-3) == -3

    def test_a_provider_named_like_a_formula_is_text_in_csv_xlsx_and_ods(self):
        csv_body, _ = tables.render(table(), "csv")
        assert "\r\n'=1+1,Home care," in csv_body.decode("utf-8-sig")
        sheet = openpyxl.load_workbook(io.BytesIO(tables.render(table(), "xlsx")[0])).active
        assert sheet["A3"].value == "'=1+1" and sheet["A3"].data_type == "s"
        ods = tables.render(table(), "ods")[0]
        assert tablib.Dataset().load(io.BytesIO(ods), format="ods")["Provider"][1] == "'=1+1"
        assert b"<text:p>'=1+1</text:p>" in _ods_content(ods).replace(b"&apos;", b"'")

    def test_a_header_and_the_csv_writer_for_other_files_are_safe_too(self):
        body = tables.csv_bytes(["=cmd"], [["@x", 5, None]], bom=False).decode()
        assert body == "'=cmd\r\n'@x,5,\r\n"


@pytest.mark.django_db
class TestDownloadResponse:
    def test_a_download_is_logged_and_never_cached(self, make_user, cambs):
        user = make_user("quality_officer", cambs)
        request = RequestFactory().get("/register/", {"service_type": "care_home",
                                                      "download": "csv"})
        request.user = user
        response = tables.download_response(request, table(), "csv", file_stem="allocations")
        assert response["Cache-Control"] == "no-store"
        assert response["Content-Disposition"] == 'attachment; filename="allocations.csv"'
        record = DownloadRecord.objects.get()
        assert (record.user, record.what, record.path, record.filters, record.file_format,
                record.rows) == (user, "Allocations", "/register/", "service_type=care_home",
                                 "csv", 2)

    def test_an_unknown_format_is_a_400_and_nothing_is_logged(self, make_user, cambs):
        request = RequestFactory().get("/register/")
        request.user = make_user("quality_officer", cambs)
        response = tables.download_response(request, table(), "pdf", file_stem="x")
        assert response.status_code == 400 and not DownloadRecord.objects.exists()


@pytest.mark.django_db
class TestDownloadLogPage:
    def _log(self, user, what="Locations", rows=3):
        from caresight.core.services import download_record

        return download_record(user=user, what=what, path="/register/",
                               filters="service_type=care_home&authority=E10000003"
                               "&as_of=2026-12-02&locality=",
                               file_format="xlsx", rows=rows)

    def test_an_administrator_sees_their_organisations_downloads(self, client, make_user,
                                                                 cambs, devon):
        from caresight.accounts.models import Membership, Role

        admin = make_user(Role.ADMIN, cambs)
        colleague = make_user(Role.QUALITY_OFFICER, cambs)
        Membership.objects.filter(user=colleague).update(
            organisation=admin.memberships.get().organisation)
        stranger = make_user(Role.QUALITY_OFFICER, devon)
        self._log(colleague, what="Chase list", rows=1234)
        self._log(stranger, what="Outbreak tracker")
        client.force_login(admin)
        account = client.get("/accounts/").content.decode()
        assert 'href="/downloads/">Downloads of record-level data' in account
        page = client.get("/downloads/")
        text = page.content.decode()
        assert "no-store" in page["Cache-Control"]
        assert "Chase list" in text and colleague.email in text and "1,234" in text
        # the filters in words: dates as people write them, blank ones left out
        assert ("Service type: care_home; Authority: E10000003; As of: 2 December 2026</td>"
                in text)
        assert "Outbreak tracker" not in text  # another council's officer

    def test_a_superuser_sees_every_download_and_the_command_line(self, client, make_user,
                                                                  cambs):
        from caresight.accounts.models import User

        root = User.objects.create_superuser(email="root@example.org", password="x" * 20)
        self._log(None, what="Returns")
        self._log(make_user("quality_officer", cambs), what="Locations")
        client.force_login(root)
        text = client.get("/downloads/").content.decode()
        assert "Command line (operator)" in text and "Locations" in text
        assert "<strong>2</strong> downloads" in text

    @pytest.mark.parametrize("role", ["quality_officer", "commissioner", "finance", "viewer"])
    def test_anyone_else_is_refused(self, client, make_user, cambs, role):
        client.force_login(make_user(role, cambs))
        assert client.get("/downloads/").status_code == 403
        assert "Downloads of record-level data" not in client.get("/accounts/").content.decode()


class TestPageCellsWithMore:
    """Further links, a button, a coloured tag, a cell spanning columns, a caption's link."""

    def test_further_links_on_lines_of_their_own_or_inline(self):
        columns = [
            Column("provider", "Provider", value="provider.name",
                   links=lambda r: [tables.Link("Page", "/p/", " of it"),
                                    tables.Link("Letter", "/l/")]),
            Column("files", "Files", value=lambda r: "", empty="", links_inline=True,
                   links=lambda r: [tables.Link("CSV", "/f.csv"), tables.Link("JSON", "/f.json")]),
        ]
        html = render_to_string("includes/table.html", {"table": Table(
            columns=columns, rows=rows()[:1], title="Files")})
        assert ('Acorn Care<br><a class="govuk-link" href="/p/">Page<span '
                'class="govuk-visually-hidden"> of it</span></a><br><a class="govuk-link" '
                'href="/l/">Letter</a></td>') in html
        assert ('<td class="govuk-table__cell"><a class="govuk-link" href="/f.csv">CSV</a> · '
                '<a class="govuk-link" href="/f.json">JSON</a></td>') in html

    def test_a_button_a_red_tag_and_a_cell_that_spans(self):
        columns = [
            Column("provider", "Provider", value="provider.name", row_header=True,
                   tag=lambda r: "Overdue", tag_tone="red"),
            Column("beds", "Beds", kind=Kind.WHOLE, span=lambda r: 2 if r["beds"] == 34 else 1),
            Column("signed_on", "Signed", kind=Kind.DATE, empty="",
                   button=lambda r: tables.Button("Mark done", "/done/", ": it")),
        ]
        table = Table(columns=columns, rows=rows(), title="Actions")
        assert [len(cells) for cells in table.body] == [3, 2]
        html = render_to_string("includes/table.html", {"table": table,
                                                        "csrf_token": "t0ken"})
        assert 'Acorn Care <strong class="govuk-tag govuk-tag--red">Overdue</strong>' in html
        assert ('<form method="post" action="/done/"><input type="hidden" '
                'name="csrfmiddlewaretoken" value="t0ken">') in html
        assert 'Mark done<span class="govuk-visually-hidden">: it</span></button>' in html
        assert ('<td class="govuk-table__cell govuk-table__cell--numeric" colspan="2">34</td>'
                '</tr>') in html

    def test_a_link_after_the_caption(self):
        html = render_to_string("includes/table.html", {"table": Table(
            columns=COLUMNS, rows=[], title="Devon",
            caption_link=tables.Link("Change", "/change/", " the rules for Devon"))})
        assert ('Devon <a class="govuk-link govuk-body" href="/change/">Change<span '
                'class="govuk-visually-hidden"> the rules for Devon</span></a></caption>') in html

"""The grants downloads: rows, human headers, labels, money as money, totals to the penny, and
no cell that a spreadsheet would run as a formula (the open data and the finance file too)."""

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.core.management import call_command
from django.urls import reverse

from caresight.core.models import DownloadRecord
from caresight.grants.tests.factories import accept
from caresight.registry.models import Provider

FORMATS = ["csv", "xlsx", "ods", "json"]


def read(response, fmt: str) -> list[dict]:
    """A downloaded file's rows as dicts (header -> value), whatever its format."""
    if fmt == "json":
        return json.loads(response.content)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        header, *rows = sheet.iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in rows]
    return tablib.Dataset().load(io.BytesIO(response.content), format="ods").dict


def amount(value) -> Decimal:
    """A money cell as Decimal: text in CSV and JSON, a number in XLSX, and in ODS the
    currency cell as tablib reads it (its text, "£85,078.48")."""
    return Decimal(str(value).replace("£", "").replace(",", "")).quantize(Decimal("0.01"))


@pytest.fixture
def world(pence_round, client):
    client.force_login(pence_round["officer"])
    return pence_round


@pytest.mark.django_db
class TestReconciliation:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_every_format_has_the_rows_and_a_total_that_adds_up_to_the_penny(self, client,
                                                                            world, fmt):
        response = client.get(reverse("grants:reconciliation", args=[world["round"].pk]),
                              {"download": fmt})
        assert response.status_code == 200
        rows = read(response, fmt)
        provider, paid, unspent = (("provider", "paid", "unspent") if fmt == "json"
                                   else ("Provider", "Paid", "Unspent"))
        assert [r[provider] for r in rows] == ["Acorn Care Ltd", "Birch Homes Ltd",
                                               "Cedar Living Ltd", "Total"]
        assert [amount(r[paid]) for r in rows] == [
            Decimal("85078.48"), Decimal("28359.43"), Decimal("0.00"), Decimal("113437.91")]
        assert amount(rows[-1][unspent]) == Decimal("110327.52")
        assert sum(amount(r[paid]) for r in rows[:-1]) == amount(rows[-1][paid])

    def test_the_xlsx_has_human_headers_and_money_cells(self, client, world):
        response = client.get(reverse("grants:reconciliation", args=[world["round"].pk]),
                              {"download": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert [c.value for c in sheet[1]] == [
            "Provider", "CQC provider ID", "Allocated", "Adjusted", "Paid", "Recovered",
            "Spent", "Unspent", "Still to pay"]
        assert sheet["C2"].number_format == "£#,##0.00"
        assert sheet["C2"].value == pytest.approx(170156.57)
        assert sheet.freeze_panes == "A2"
        assert DownloadRecord.objects.get().what == "Reconciliation"


@pytest.mark.django_db
class TestReturnToGovernment:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_every_format_holds_each_figure(self, client, world, fmt):
        response = client.get(reverse("grants:return", args=[world["round"].pk]),
                              {"download": fmt})
        assert response["Content-Disposition"].endswith(
            f'icf-return-E10000003-{world["round"].pk}.{fmt}"')
        rows = read(response, fmt)
        keys = (("section", "item", "amount", "number", "proportion_pct") if fmt == "json"
                else ("Section", "Item", "Amount", "Number", "Proportion of spend"))
        section, item, money, number, proportion = keys
        by_item = {(r[section], r[item]): r for r in rows}
        assert amount(by_item["Round", "Paid to providers"][money]) == Decimal("113437.91")
        assert amount(by_item["Round", "Adjustments"][money]) == Decimal("0.37")
        assert int(by_item["Round", "Providers paid"][number]) == 2
        assert amount(by_item["Instalment", "Instalment 1 paid"][money]) == Decimal(
            "113437.91")
        spend = [r for r in rows if r[section] == "Spend"]
        assert [amount(r[money]) for r in spend] == [
            Decimal("1000.10"), Decimal("2000.20"), Decimal("0.05"), Decimal("99.99")]
        shares = [Decimal(str(r[proportion]).rstrip("%")) for r in spend]
        if fmt == "xlsx":  # percentage cells hold fractions of 1
            shares = [share * 100 for share in shares]
        # Whole percentages adding up to 100 (ODS gives them as shown: "32%").
        assert shares == [32, 65, 0, 3]


@pytest.mark.django_db
class TestAllocationsAndSpend:
    def test_the_allocations_download_has_human_headers_units_and_adjustments(self, client,
                                                                              world):
        response = client.get(reverse("grants:allocations", args=[world["round"].pk]),
                              {"download": "xlsx"})
        rows = read(response, "xlsx")
        assert list(rows[0]) == ["CQC location ID", "Service", "Provider", "Element", "Units",
                                 "How it was worked out", "Amount", "Adjustments"]
        oak = next(r for r in rows if r["Service"] == "Oak Lodge")
        assert (oak["Units"], oak["Amount"], oak["Adjustments"]) == (1, pytest.approx(
            56718.86), pytest.approx(0.37))
        assert "£56,718.85 per bed" in oak["How it was worked out"]

    def test_the_spend_returns_to_chase_download_every_format(self, client, world):
        # Cedar was never paid and Acorn and Birch have sent returns: remove Birch's.
        from caresight.grants.models import SpendReturn

        SpendReturn.objects.filter(provider=world["birch"]).delete()
        for fmt in FORMATS:
            rows = read(client.get(reverse("grants:spend", args=[world["round"].pk]),
                                   {"download": fmt}), fmt)
            name, paid = ("provider", "paid") if fmt == "json" else ("Provider", "Paid")
            assert [(r[name], amount(r[paid])) for r in rows] == [
                ("Birch Homes Ltd", Decimal("28359.43"))]


@pytest.mark.django_db
class TestFormulasNeverRun:
    @pytest.fixture
    def formula(self, world):
        Provider.objects.filter(pk=world["acorn"].pk).update(name="=1+1")
        return world

    def test_the_open_data_csv_keeps_its_keys_and_makes_the_name_text(self, client, formula):
        client.logout()
        response = client.get(reverse("published:published-file",
                                      args=[formula["round"].pk, "csv"]))
        text = response.content.decode()
        assert text.startswith("authority,authority_code,round,provider,cqc_provider_id,"
                               "services,allocated,paid\r\n")  # as documented, no BOM
        rows = list(csv.DictReader(io.StringIO(text)))
        acorn = next(r for r in rows if r["allocated"] == "170156.94")
        assert acorn["provider"] == "'=1+1" and acorn["paid"] == "85078.48"
        assert not DownloadRecord.objects.exists()  # public data is not a logged download

    def test_the_open_data_json_keeps_the_name_as_data(self, client, formula):
        data = json.loads(client.get(reverse("published:published-file",
                                              args=[formula["round"].pk, "json"])).content)
        acorn = next(r for r in data["allocations"] if r["allocated"] == "170156.94")
        assert acorn["provider"] == "=1+1" and acorn["services"] == 2
        assert set(acorn) == {"authority", "authority_code", "round", "provider",
                              "cqc_provider_id", "services", "allocated", "paid"}

    def test_the_finance_payments_file_keeps_its_layout_and_makes_the_name_text(
            self, client, formula):
        client.force_login(formula["finance"])
        response = client.get(reverse("grants:run-file", args=[formula["run"].pk]))
        assert response["Content-Disposition"] == (
            f'attachment; filename="payment-run-{formula["run"].pk}.csv"')
        text = response.content.decode()
        header, first, *_ = text.split("\r\n")
        assert header == ("payment_reference,provider,cqc_provider_id,amount,services,round,"
                          "instalment,payment_run")
        run = formula["run"]
        assert first == (f"ICF-{run.round_id}-1-{run.pk}-{formula['acorn'].pk},'=1+1,"
                         f"{formula['acorn'].cqc_provider_id},85078.48,2,Test round,1,{run.pk}")
        assert DownloadRecord.objects.get().rows == 2

    def test_the_pay_command_writes_the_same_safe_file(self, formula, tmp_path):
        accept(formula["round"], formula["cedar"])
        target = tmp_path / "payments.csv"
        call_command("grants", "pay", "--round", str(formula["round"].pk), "--instalment",
                     "2", "--output", str(target))
        rows = list(csv.DictReader(io.StringIO(target.read_text())))
        assert [r["provider"] for r in rows] == ["'=1+1", "Birch Homes Ltd",
                                                 "Cedar Living Ltd"]

    def test_every_grants_download_makes_the_name_text(self, client, formula):
        round = formula["round"]
        for name in ("grants:allocations", "grants:reconciliation"):
            rows = read(client.get(reverse(name, args=[round.pk]), {"download": "csv"}), "csv")
            assert "'=1+1" in [r["Provider"] for r in rows]
            sheet = openpyxl.load_workbook(io.BytesIO(client.get(
                reverse(name, args=[round.pk]), {"download": "xlsx"}).content)).active
            cells = [c.value for row in sheet.iter_rows() for c in row]
            assert "'=1+1" in cells and "=1+1" not in cells


@pytest.mark.django_db
def test_the_agreements_page_tags_each_answer(client, world):
    page = client.get(reverse("grants:agreements", args=[world["round"].pk])).content.decode()
    assert page.count('<strong class="govuk-tag govuk-tag--green">Accepted and signed') == 2
    assert '<strong class="govuk-tag govuk-tag--grey">Waiting</strong>' in page
    assert page.count("Record a paper agreement") == 1  # only where not signed

"""Allocation letters: one per provider, in PDF and Word, holding only that provider's money."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from docx import Document
from pypdf import PdfReader

from caresight.core.tenancy import OPERATOR
from caresight.grants import letters, services
from caresight.grants.round_templates import SPEND_CATEGORIES_2020
from caresight.registry.models import ServiceType
from caresight.registry.tests.factories import LocationFactory, ProviderFactory

ELIGIBLE_ON = dt.date(2020, 5, 13)


def make_round(authority, amount="75000.00"):
    return services.round_create(
        authority=authority, name="Infection Control Fund 2020, round 1", amount=amount,
        eligibility_date=ELIGIBLE_ON,
        elements=[{"name": "Care homes, per registered bed", "share": "100",
                   "method": "per_bed", "service_types": [ServiceType.CARE_HOME]}],
        instalments=[
            {"number": 1, "share": "50", "due_offset_days": 7,
             "conditions": [{"kind": "agreement_signed"}]},
            {"number": 2, "share": "50", "due_offset_days": 60,
             "conditions": [{"kind": "agreement_signed"}, {"kind": "recent_return", "days": 14},
                            {"kind": "spend_return"}]}],
        spend_categories=SPEND_CATEGORIES_2020, user=OPERATOR)


@pytest.fixture
def fund(cambs, devon):
    """A confirmed round of £75,000 over 60 beds (£1,250.00 a bed) in two providers' homes."""
    fen = ProviderFactory(name="Fen & Marsh Care Ltd", contact_name="Alex Moore",
                          email="alex@fen.example")
    dart = ProviderFactory(name="Dart Homes Ltd")
    LocationFactory(provider=fen, authority=cambs, name="Fen View", registered_beds=28)
    LocationFactory(provider=fen, authority=cambs, name="Marsh House", registered_beds=12)
    LocationFactory(provider=dart, authority=cambs, name="Dart Lodge", registered_beds=20)
    LocationFactory(provider=dart, authority=devon, name="Dartmoor House", registered_beds=50)
    round = make_round(cambs)
    services.allocation_confirm(round=round, user=OPERATOR)
    round.refresh_from_db()
    return {"round": round, "fen": fen, "dart": dart}


FEN = ["Fen & Marsh Care Ltd", "Fen View", "28 beds × £1,250.00 per bed", "£35,000.00",
       "Marsh House", "12 beds × £1,250.00 per bed", "£15,000.00", "£50,000.00"]
DART = ["Dart Homes Ltd", "Dart Lodge", "20 beds × £1,250.00 per bed"]


def pdf_pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.django_db
class TestLetterContext:
    def test_a_letter_sets_out_the_providers_own_allocations_total_and_instalments(self, fund):
        context = letters.letter_context(fund["round"], fund["fen"])
        assert context["authority"] == "Cambridgeshire"
        assert context["provider"]["name"] == "Fen & Marsh Care Ltd"
        assert context["salutation"] == "Dear Alex Moore"
        assert [(a["service"], a["explanation"], a["amount"]) for a in context["allocations"]] \
            == [("Fen View", "28 beds × £1,250.00 per bed", "£35,000.00"),
                ("Marsh House", "12 beds × £1,250.00 per bed", "£15,000.00")]
        assert context["total"] == "£50,000.00"
        first, second = context["instalments"]
        assert (first["number"], first["share"], first["amount"]) == (1, "50%", "£25,000.00")
        assert second["due_on"] == "12 July 2020"
        assert any("14 days" in c for c in second["conditions"])
        assert len(second["conditions"]) == 3
        assert context["spend_categories"][0] == "Measures to isolate residents"

    def test_the_letter_is_dated_today_the_govuk_way(self, fund):
        context = letters.letter_context(fund["round"], fund["dart"])
        assert context["date"].split()[-1].isdigit() and "," not in context["date"]
        assert context["salutation"] == "Dear colleague"

    def test_an_adjustment_is_listed_and_counted_in_the_total(self, fund, cambs, make_user):
        allocation = fund["round"].allocations.get(location__name="Dart Lodge")
        services.adjustment_record(allocation=allocation, amount="-500.00",
                                   reason="Beds closed", user=make_user("commissioner", cambs))
        context = letters.letter_context(fund["round"], fund["dart"])
        assert context["adjustments"] == [{"service": "Dart Lodge", "reason": "Beds closed",
                                           "amount": "-£500.00"}]
        assert context["total"] == "£24,500.00"
        assert [i["amount"] for i in context["instalments"]] == ["£12,250.00", "£12,250.00"]

    def test_no_letter_before_the_allocation_is_confirmed(self, cambs):
        home = LocationFactory(authority=cambs)
        round = make_round(cambs)
        with pytest.raises(ValidationError, match="not been confirmed"):
            letters.letter_context(round, home.provider)

    def test_no_letter_for_a_provider_without_an_allocation(self, fund, devon):
        elsewhere = LocationFactory(authority=devon).provider
        with pytest.raises(ValidationError, match=elsewhere.name):
            letters.letters_pdf(fund["round"], [fund["fen"], elsewhere])


@pytest.mark.django_db
class TestLetterFiles:
    def test_the_pdf_has_one_page_per_provider_with_only_their_own_money(self, fund):
        data = letters.letters_pdf(fund["round"], [fund["fen"], fund["dart"]])
        assert data.startswith(b"%PDF")
        fen_page, dart_page = pdf_pages(data)
        for text in FEN:
            assert text in fen_page
            assert text not in dart_page
        for text in DART:
            assert text in dart_page
            assert text not in fen_page
        assert "Total £25,000.00" in dart_page and "Total £50,000.00" in fen_page
        assert "Cambridgeshire" in fen_page and "Dartmoor House" not in dart_page

    def test_the_word_letter_holds_the_provider_explanations_and_total(self, fund):
        text = docx_text(letters.letter_docx(fund["round"], fund["fen"]))
        for expected in FEN:
            assert expected in text
        assert "Dart" not in text
        assert "{{" not in text and "{%" not in text
        assert "Each of your services has completed the Capacity Tracker in the 14 days" in text
        assert "Measures to restrict staff movement" in text

    def test_the_zip_holds_one_word_letter_per_provider(self, fund):
        data = letters.letters_docx_zip(fund["round"], [fund["fen"], fund["dart"]])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert sorted(archive.namelist()) == ["dart-homes-ltd.docx", "fen-marsh-care-ltd.docx"]
            dart = docx_text(archive.read("dart-homes-ltd.docx"))
        assert "Dart Lodge" in dart and "Fen View" not in dart and "£25,000.00" in dart
        assert "For the attention of" not in dart  # Dart Homes has no contact name


def test_letter_file_names_are_safe_and_unique():
    taken: set[str] = set()
    assert letters.docx_file_name("../A/B: C?", taken) == "ab-c.docx"
    assert letters.docx_file_name("A B C", taken) == "a-b-c.docx"
    assert letters.docx_file_name("ab c", taken) == "ab-c-2.docx"
    assert letters.docx_file_name("***", taken) == "provider.docx"

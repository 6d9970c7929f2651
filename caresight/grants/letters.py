"""Allocation letters: one per provider, setting out its allocation and the grant conditions.

The same context feeds a printable PDF (WeasyPrint, from `grants/letter.html`) and a Word
document (docxtpl, from `data/letter.docx`, made by `scripts/make_letter_template.py`) that
officers can edit before sending. Letters are only written for a confirmed round, and a
provider's letter holds nothing but that provider's allocations.
"""

import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from caresight.core.progress import NoProgress, Progress
from caresight.core.timeutils import long_date
from caresight.registry.models import Provider

from .models import Adjustment, Allocation, ConditionKind, Round
from .money import instalment_due, pounds

DOCX_TEMPLATE = Path(__file__).resolve().parent / "data" / "letter.docx"
ZERO = Decimal("0.00")


def condition_text(condition: dict) -> str:
    """One instalment condition as a sentence a provider can act on."""
    kind = condition.get("kind")
    if kind == ConditionKind.AGREEMENT_SIGNED:
        return "You have accepted the grant conditions in this letter."
    if kind == ConditionKind.RECENT_RETURN:
        days = condition["days"]
        period = "day" if days == 1 else f"{days} days"
        return (f"Each of your services has completed the Capacity Tracker in the {period} "
                "before the payment is made.")
    if kind == ConditionKind.SPEND_RETURN:
        return ("You have sent a spend return for this round, saying what you have spent in "
                "each spend category.")
    raise ValueError(f"Unknown grant condition {kind!r}.")


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _contexts(round: Round, providers: Iterable[Provider],
              today: dt.date | None = None) -> list[dict]:
    """Letter contexts for `providers` in the order given, reading the round once."""
    if not round.is_confirmed:
        raise ValidationError(f"The allocation of {round.name} has not been confirmed, so there "
                              "are no allocation letters yet.")
    providers = list(providers)
    ids = [p.pk for p in providers]
    allocations: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in (Allocation.objects.filter(round=round, provider_id__in=ids)
                       .select_related("location", "element")
                       .order_by("element__position", "location__name", "pk")):
        allocations[allocation.provider_id].append(allocation)
    adjustments: dict[int, list[Adjustment]] = defaultdict(list)
    for adjustment in (Adjustment.objects.filter(allocation__round=round,
                                                 allocation__provider_id__in=ids)
                       .select_related("allocation__location")
                       .order_by("created_at", "pk")):
        adjustments[adjustment.allocation.provider_id].append(adjustment)
    missing = [p.name for p in providers if not allocations[p.pk]]
    if missing:
        raise ValidationError(f"No allocation from {round.name} for: {', '.join(missing)}.")

    authority = round.authority.name
    instalments = list(round.instalments.order_by("number"))
    shares = [i.share for i in instalments]
    categories = [c["label"] for c in round.spend_categories]
    date = long_date(today or timezone.localdate())
    service = settings.CARESIGHT_SERVICE_NAME
    contexts = []
    for provider in providers:
        mine = allocations[provider.pk]
        changes = adjustments[provider.pk]
        allocated: dict[int, Decimal] = {a.pk: a.amount for a in mine}
        for adjustment in changes:
            allocated[adjustment.allocation_id] += adjustment.amount
        total = sum(allocated.values(), ZERO)
        contexts.append({
            "authority": authority,
            "service_name": service,
            "round": round.name,
            "date": date,
            "eligibility_date": long_date(round.eligibility_date),
            "provider": {
                "name": provider.name,
                "cqc_provider_id": provider.cqc_provider_id or "",
                "contact_name": provider.contact_name,
                "email": provider.email,
                "phone": provider.phone,
            },
            "salutation": f"Dear {provider.contact_name}" if provider.contact_name
            else "Dear colleague",
            "allocations": [{
                "service": a.location.name,
                "cqc_location_id": a.location.cqc_location_id or "",
                "element": a.element.name,
                "explanation": a.explanation,
                "amount": pounds(a.amount),
            } for a in mine],
            "adjustments": [{
                "service": a.allocation.location.name,
                "reason": a.reason,
                "amount": pounds(a.amount),
            } for a in changes],
            "total": pounds(total),
            "instalments": [{
                "number": inst.number,
                "share": _percent(inst.share),
                "amount": pounds(sum((instalment_due(amount, shares, n, {})
                                      for amount in allocated.values()), ZERO)),
                "due_on": long_date(inst.due_on),
                "conditions": [condition_text(c) for c in inst.conditions]
                or ["No conditions."],
            } for n, inst in enumerate(instalments)],
            "spend_categories": categories,
            "accept": {
                "online": f"Sign in to {service} and open your grants page to accept (or "
                          f"decline) the conditions of {round.name}.",
                "paper": f"Or sign the form at the end of this letter and return it to "
                         f"{authority}.",
            },
        })
    return contexts


def letter_context(round: Round, provider: Provider) -> dict:
    """Everything one provider's allocation letter says, as text ready to print.

    Raise ValidationError if the round is not confirmed or the provider has no allocation.
    """
    return _contexts(round, [provider])[0]


def _no_fetching(url: str, *args, **kwargs):
    # Letters are self-contained: nothing in them may make the server fetch a URL.
    raise ValueError(f"Letters load no external resources ({url}).")


def letters_pdf(round: Round, providers: Iterable[Provider],
                progress: Progress | None = None) -> bytes:
    """One PDF holding a letter for each provider, each starting on a new page."""
    from weasyprint import HTML  # imported here: it loads Pango, which only letters need

    progress = progress or NoProgress()
    contexts = _contexts(round, providers)
    progress.start(len(contexts), "Writing the letters")
    documents = []
    for context in contexts:  # one at a time, so that progress can be shown
        html = render_to_string("grants/letter.html", {"letters": [context], "round": round})
        documents.append(HTML(string=html, url_fetcher=_no_fetching).render())
        progress.advance()
    if not documents:
        html = render_to_string("grants/letter.html", {"letters": [], "round": round})
        return HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    pdf = documents[0].copy([page for d in documents for page in d.pages]).write_pdf()
    progress.finish()
    return pdf


def _docx(context: dict) -> bytes:
    from docxtpl import DocxTemplate

    document = DocxTemplate(DOCX_TEMPLATE)
    document.render(context, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def letter_docx(round: Round, provider: Provider) -> bytes:
    """One provider's letter as a Word document an officer can edit before sending."""
    return _docx(letter_context(round, provider))


def docx_file_name(name: str, taken: set[str]) -> str:
    """A safe, unique file name for a provider's letter ("fen-view-care-ltd.docx")."""
    stem = slugify(name)[:80].strip("-") or "provider"
    candidate, n = f"{stem}.docx", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.docx"
    taken.add(candidate)
    return candidate


def letters_docx_zip(round: Round, providers: Iterable[Provider],
                     progress: Progress | None = None) -> bytes:
    """A zip of Word letters, one per provider, named after the provider."""
    progress = progress or NoProgress()
    contexts = _contexts(round, providers)
    progress.start(len(contexts), "Writing the letters")
    out = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for context in contexts:
            archive.writestr(docx_file_name(context["provider"]["name"], taken),
                             _docx(context))
            progress.advance()
    progress.finish()
    return out.getvalue()


def letters_job(*, params: dict, user, progress: Progress) -> tuple[bytes, str, str]:
    """Every letter of a round the user may see, for a background job: (data, name, type)."""
    from . import selectors

    round = selectors.round_get(user=user, pk=params["round"])
    if not selectors.is_officer(user, round):
        raise PermissionDenied
    providers = list(selectors.own_providers(user=user, round=round))
    if params["format"] == "pdf":
        return (letters_pdf(round, providers, progress), f"allocation-letters-{round.pk}.pdf",
                "application/pdf")
    return (letters_docx_zip(round, providers, progress),
            f"allocation-letters-{round.pk}.zip", "application/zip")

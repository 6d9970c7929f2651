"""Infection Control Fund pages: thin views over the grants selectors and services.

Officers (view_grants over the round's authority) see the whole round; a provider user sees
the round only through its provider page. Public pages publish confirmed allocations.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from caresight.core import tables, tenancy
from caresight.core.forms import add_service_errors
from caresight.core.services import (
    document_job_create,
)
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date
from caresight.core.views import attachment_response, call_and_tell, handle_form

from . import letters, selectors, services
from . import tables as grant_tables
from .allocation import plan_round, spec_of
from .forms import (
    AdjustmentForm,
    AgreementForm,
    ElementForm,
    InputsForm,
    PaperAgreementForm,
    PaymentRunForm,
    RecoveryForm,
    RoundForm,
    SpendForm,
)
from .models import Agreement, PaymentRun
from .money import pounds


def _round(request, pk: int, capability: Capability = Capability.VIEW_GRANTS):
    """A round the user may use `capability` on as an officer (its whole authority); else
    404, as for a round that does not exist."""
    round = tenancy.access_round(request.user, pk, capability)
    if not selectors.is_officer(request.user, round, capability):
        raise Http404("No such record.")
    return round


def round_list(request):
    tenancy.require(request.user, Capability.VIEW_GRANTS)
    rounds = list(selectors.round_list(user=request.user))
    for round in rounds:
        round.officer = selectors.is_officer(request.user, round)
        round.own_providers = [] if round.officer else list(
            selectors.own_providers(user=request.user, round=round))
    return render(request, "grants/round_list.html", {
        "table": grant_tables.rounds_table(rounds),
        "can_manage": tenancy.has_capability(request.user, Capability.MANAGE_GRANTS)})


def round_new(request):
    tenancy.require(request.user, Capability.MANAGE_GRANTS)
    authorities = tenancy.authorities(request.user, Capability.MANAGE_GRANTS)
    form = RoundForm(request.POST or None, authorities=authorities)
    done = handle_form(
        request, form, lambda data: services.round_create_from_template(
            authority=data["authority"], template=data["template"], amount=data["amount"],
            eligibility_date=data["eligibility_date"], name=data["name"],
            contingency=data["contingency"] or "0", user=request.user),
        success_message="The round was created. Check the what-if allocation, then confirm it.",
        redirect_to=lambda round: reverse("grants:round", args=[round.pk]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Start a round of the Infection Control Fund",
        "button": "Create the round", "back": reverse("grants:list")})


def round_detail(request, pk: int):
    round = tenancy.access_round(request.user, pk, Capability.VIEW_GRANTS)
    if not selectors.is_officer(request.user, round):
        providers = list(selectors.own_providers(user=request.user, round=round))
        if len(providers) == 1:
            return redirect("grants:provider", pk=round.pk, provider=providers[0].pk)
        return render(request, "grants/round_providers.html", {"round": round,
                                                               "providers": providers})
    can_manage = tenancy.allows(request.user, Capability.MANAGE_GRANTS, round)
    context = {"round": round, "can_manage": can_manage,
               "elements": grant_tables.elements_table(
                   round, round.elements.all(), can_change=can_manage and not round.is_confirmed),
               "instalments": grant_tables.instalments_table(
                   round.instalments.order_by("number"))}
    if round.is_confirmed:
        context["recon"] = selectors.reconciliation(user=request.user, round=round)
    else:
        try:
            plan = plan_round(spec_of(round))
        except ValidationError as exc:
            context["round_problems"] = exc.messages
        else:
            context["plan"] = plan
            context["plan_elements"] = grant_tables.plan_elements_table(plan)
            context["plan_lines"] = [
                (e, grant_tables.plan_lines_table(e)) for e in plan.elements
                if e.lines or e.not_allocated]
    return render(request, "grants/round_detail.html", context)


def element_edit(request, pk: int, element: int):
    round = _round(request, pk, Capability.MANAGE_GRANTS)
    found = get_object_or_404(round.elements, pk=element)
    form = ElementForm(request.POST or None, initial={
        "share": found.share, "method": found.method, "service_types": found.service_types,
        "retained": found.retained})
    done = handle_form(
        request, form, lambda data: services.element_update(
            element=found, user=request.user, **{**data, "retained": data["retained"] or "0"}),
        success_message=f"“{found.name}” was changed.",
        redirect_to=reverse("grants:round", args=[round.pk]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": f"Change “{found.name}”", "caption": round.name,
        "button": "Save", "back": reverse("grants:round", args=[round.pk])})


def element_inputs(request, pk: int, element: int):
    round = _round(request, pk, Capability.MANAGE_GRANTS)
    found = get_object_or_404(round.elements, pk=element)
    current = "\n".join(f"{i.location.cqc_location_id}, {i.value}"
                        for i in found.inputs.select_related("location"))
    form = InputsForm(request.POST or None, initial={"rows": current})
    if request.method == "POST" and form.is_valid():
        values, errors = _read_inputs(request.user, form.cleaned_data["rows"], round.authority)
        for error in errors:
            form.add_error("rows", error)
        if not errors:
            try:
                count = services.element_inputs_set(element=found, values=values,
                                                    user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{count} services' units or awards were saved for "
                                 f"“{found.name}”.")
                return redirect("grants:round", pk=round.pk)
    return render(request, "form_page.html", {
        "form": form, "title": f"Units or awards for “{found.name}”", "caption": round.name,
        "button": "Save", "back": reverse("grants:round", args=[round.pk])})


def _read_inputs(user, text: str, authority) -> tuple[dict, list[str]]:
    """Lines of "CQC location ID, value" -> ({location: value text}, errors naming the line)."""
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), 1) if any(row)]
    ids = [row[0].strip() for _, row in rows]
    found = {loc.cqc_location_id: loc for loc in tenancy.in_scope(
        user, Capability.MANAGE_GRANTS, "registry.Location").filter(
        cqc_location_id__in=ids, authority=authority)}
    values, errors = {}, []
    for n, row in rows:
        if len(row) != 2:
            errors.append(f"Line {n}: give a CQC location ID and a number, separated by a "
                          "comma.")
            continue
        location = found.get(row[0].strip())
        if location is None:
            errors.append(f"Line {n}: “{row[0].strip()}” is not a service in "
                          f"{authority.name}.")
        elif location in values:
            errors.append(f"Line {n}: {row[0].strip()} is given twice.")
        else:
            values[location] = row[1].strip()
    return values, errors


@require_POST
def allocation_confirm(request, pk: int):
    round = _round(request, pk, Capability.MANAGE_GRANTS)
    call_and_tell(request, lambda: services.allocation_confirm(round=round, user=request.user),
                  lambda count: f"The allocation is confirmed: {count} allocations written. "
                                "Send the letters and ask providers to sign.")
    return redirect("grants:round", pk=round.pk)


def allocation_list(request, pk: int):
    round = _round(request, pk)
    allocations = selectors.allocations_with_adjustments(user=request.user, round=round)
    table = grant_tables.allocations_table(
        round, allocations,
        can_manage=tenancy.allows(request.user, Capability.MANAGE_GRANTS, round))
    fmt = request.GET.get("download")
    if fmt:
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(request, table, fmt,
                                        file_stem=f"allocations-round-{round.pk}")
    return render(request, "grants/allocations.html", {
        "round": round, "table": table, "download_links": tables.download_links(request),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT)})


def adjustment_add(request, pk: int):
    allocation = tenancy.access_allocation(request.user, pk, Capability.MANAGE_GRANTS)
    round = _round(request, allocation.round_id, Capability.MANAGE_GRANTS)
    form = AdjustmentForm(request.POST or None)
    done = handle_form(
        request, form, lambda data: services.adjustment_record(
            allocation=allocation, amount=data["amount"], reason=data["reason"],
            user=request.user),
        success_message=f"The allocation to {allocation.location.name} was adjusted.",
        redirect_to=reverse("grants:allocations", args=[round.pk]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": f"Adjust the allocation to {allocation.location.name}",
        "caption": f"{allocation.element.name}: {pounds(allocation.amount)} "
                   f"({allocation.explanation})",
        "button": "Record the adjustment",
        "back": reverse("grants:allocations", args=[round.pk])})


# --- Letters --------------------------------------------------------------------------------

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@require_POST
def letters_all(request, pk: int, fmt: str):
    """Every provider's letter, made in the background (a second or so a letter)."""
    round = _round(request, pk)
    if fmt not in ("pdf", "zip") or not round.is_confirmed:
        raise Http404("Letters are written once the allocation is confirmed.")
    job = document_job_create(
        kind="grant-letters", params={"round": round.pk, "format": fmt}, user=request.user,
        title=f"Allocation letters, {round.name} ({'PDF' if fmt == 'pdf' else 'Word'})")
    return redirect("job-detail", pk=job.pk)


def letter(request, pk: int, provider: int, fmt: str):
    if fmt not in ("pdf", "docx"):
        raise Http404
    round = tenancy.access_round(request.user, pk, Capability.VIEW_GRANTS)
    found = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                              pk=provider)
    if fmt == "pdf":
        return attachment_response(letters.letters_pdf(round, [found]), PDF,
                     f"allocation-letter-{round.pk}-{found.pk}.pdf")
    return attachment_response(letters.letter_docx(round, found), DOCX,
                 f"allocation-letter-{round.pk}-{found.pk}.docx")


# --- Agreements and the provider's page -----------------------------------------------------

def agreement_list(request, pk: int):
    round = _round(request, pk)
    rows = selectors.agreement_rows(user=request.user, round=round)
    return render(request, "grants/agreements.html", {
        "round": round, "providers": rows,
        "signed": sum(1 for row in rows if row["agreement"]
                      and row["agreement"].decision == Agreement.Decision.ACCEPTED),
        "table": grant_tables.agreements_table(
            round, rows, can_manage=tenancy.allows(request.user, Capability.MANAGE_GRANTS,
                                                   round))})


def agreement_paper(request, pk: int, provider: int):
    round = _round(request, pk, Capability.MANAGE_GRANTS)
    found = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                              pk=provider)
    form = PaperAgreementForm(request.POST or None)
    done = handle_form(
        request, form, lambda data: services.agreement_record(
            round=round, provider=found, accepted=data["decision"] == "accept",
            name=data["name"], role=data["role"], responded_on=data["responded_on"],
            paper=True, user=request.user),
        success_message=f"The paper agreement from {found.name} is recorded.",
        redirect_to=reverse("grants:agreements", args=[round.pk]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": f"Record a paper agreement from {found.name}",
        "caption": round.name, "button": "Record the agreement",
        "back": reverse("grants:agreements", args=[round.pk])})


def provider_page(request, pk: int, provider: int):
    """A provider's part of a round: allocations, letter, agreement, payments and spend."""
    round = tenancy.access_round(request.user, pk, Capability.VIEW_GRANTS)
    found = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                              pk=provider)
    can_respond = _responds_for(request.user, found, round)
    agreement = round.agreements.filter(provider=found).first()
    form = None
    if can_respond and (agreement is None or agreement.decision == "declined"):
        form = AgreementForm(request.POST or None)
        done = handle_form(
            request, form, lambda data: services.agreement_record(
                round=round, provider=found, accepted=data["decision"] == "accept",
                name=data["name"], role=data["role"], user=request.user,
                ip_address=request.META.get("REMOTE_ADDR")),
            success_message="Thank you. Your answer is recorded.",
            redirect_to=reverse("grants:provider", args=[round.pk, found.pk]))
        if done:
            return done
    allocations = round.allocations.filter(provider=found).select_related(
        "location", "element").prefetch_related("adjustments")
    balance = selectors.provider_balance(round=round, provider=found)
    officer = selectors.is_officer(request.user, round)
    payments = selectors.provider_payments(round=round, provider=found)
    return render(request, "grants/provider.html", {
        "round": round, "provider": found, "balance": balance,
        "allocations": grant_tables.provider_allocations_table(list(allocations), balance,
                                                               officer=officer),
        "agreement": agreement, "form": form, "can_respond": can_respond,
        "payments": grant_tables.provider_payments_table(
            list(payments), can_recover=tenancy.allows(request.user, Capability.CONFIRM_PAYMENTS,
                                                       round)),
        "spend": round.spend_returns.filter(provider=found).prefetch_related("lines").first(),
        "officer": officer})


def _responds_for(user, provider, round) -> bool:
    """A provider user answers for its own provider (through the RESPOND_GRANTS scope)."""
    s = tenancy.scope(user, Capability.RESPOND_GRANTS)
    return (provider.pk, round.authority_id) in s.provider_grants


def spend_submit(request, pk: int, provider: int):
    round = tenancy.access_round(request.user, pk, Capability.VIEW_GRANTS)
    found = get_object_or_404(selectors.own_providers(user=request.user, round=round),
                              pk=provider)
    if not (_responds_for(request.user, found, round)
            or tenancy.allows(request.user, Capability.MANAGE_GRANTS, round)):
        raise Http404("No such record.")
    existing = round.spend_returns.filter(provider=found).first()
    initial = ({line.category: line.amount for line in existing.lines.all()}
               | {"over_reason": existing.over_reason}) if existing else {}
    form = SpendForm(request.POST or None, categories=round.spend_categories, initial=initial)
    balance = selectors.provider_balance(round=round, provider=found)
    done = handle_form(
        request, form, lambda data: services.spend_return_submit(
            round=round, provider=found,
            amounts={code: data[code] for code in form.category_codes},
            over_reason=data["over_reason"], user=request.user),
        success_message=f"The spend return for {found.name} is recorded.",
        redirect_to=reverse("grants:provider", args=[round.pk, found.pk]))
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": "Report what you spent", "caption": f"{found.name}, {round.name}",
        "intro": f"You have been paid {pounds(balance['received'])} from "
                 "this round. Give what you spent in each category; leave a category blank "
                 "if you spent nothing on it.",
        "button": "Send the spend return",
        "back": reverse("grants:provider", args=[round.pk, found.pk])})


# --- Payments -------------------------------------------------------------------------------

def payment_runs(request, pk: int):
    round = _round(request, pk)
    instalments = list(round.instalments.order_by("number"))
    form = PaymentRunForm(request.POST or None, instalments=instalments)
    can_manage = tenancy.allows(request.user, Capability.MANAGE_GRANTS, round)
    if request.method == "POST":
        if not can_manage:
            raise Http404("No such record.")
        done = handle_form(
            request, form, lambda data: services.payment_run_create(
                round=round, instalment=next(i for i in instalments
                                             if str(i.pk) == data["instalment"]),
                as_of=data["as_of"], user=request.user),
            success_message=None, redirect_to=lambda run: reverse("grants:run", args=[run.pk]))
        if done:
            return done
    return render(request, "grants/payment_runs.html", {
        "round": round, "form": form, "can_manage": can_manage,
        "runs": grant_tables.payment_runs_table(
            list(round.payment_runs.select_related("instalment", "confirmed_by")))})


def _run(request, pk: int, capability: Capability = Capability.VIEW_GRANTS) -> PaymentRun:
    run = tenancy.access_payment_run(request.user, pk, capability)
    _round(request, run.round_id, capability)
    return run


def run_detail(request, pk: int):
    run = _run(request, pk)
    lines = selectors.payment_run_lines(run)
    return render(request, "grants/run.html", {
        "run": run, "round": run.round, "lines": lines,
        "due": grant_tables.run_lines_table(lines.due, kind="due", testid="due",
                                            title="Paid" if run.is_confirmed else "Due"),
        "withheld": grant_tables.run_lines_table(lines.withheld, kind="withheld",
                                                 testid="withheld", title="Withheld"),
        "already_paid": grant_tables.run_lines_table(
            lines.already_paid, kind="already", testid="already-paid",
            title="Already paid in an earlier run"),
        "can_confirm": tenancy.allows(request.user, Capability.CONFIRM_PAYMENTS, run.round)})


@require_POST
def run_confirm(request, pk: int):
    run = _run(request, pk, Capability.CONFIRM_PAYMENTS)
    call_and_tell(request, lambda: services.payment_run_confirm(run=run, user=request.user),
                  lambda count: f"The payment run is confirmed: {count} payments recorded. "
                                "Download the file for the finance system.")
    return redirect("grants:run", pk=run.pk)


def run_finance_file(request, pk: int):
    run = _run(request, pk, Capability.CONFIRM_PAYMENTS)
    if not run.is_confirmed:
        raise Http404("The payment run is not confirmed yet.")
    return tables.download_response(
        request, grant_tables.finance_file_table(selectors.finance_file_rows(run)), "csv",
        file_stem=f"payment-run-{run.pk}")


def recovery_add(request, pk: int):
    payment = tenancy.access_payment(request.user, pk, Capability.CONFIRM_PAYMENTS)
    round = _round(request, payment.run.round_id, Capability.CONFIRM_PAYMENTS)
    form = RecoveryForm(request.POST or None)
    back = reverse("grants:provider", args=[round.pk, payment.provider_id])
    done = handle_form(
        request, form, lambda data: services.recovery_record(
            payment=payment, amount=data["amount"], recovered_on=data["recovered_on"],
            reason=data["reason"], user=request.user),
        success_message="The recovery is recorded.", redirect_to=back)
    if done:
        return done
    return render(request, "form_page.html", {
        "form": form, "title": f"Record money recovered from {payment.provider.name}",
        "caption": f"Payment of {pounds(payment.amount)} for "
                   f"{payment.allocation.location.name}",
        "button": "Record the recovery", "back": back})


# --- Spend, reconciliation and the return to government -------------------------------------

def spend_list(request, pk: int):
    round = _round(request, pk)
    outstanding = grant_tables.spend_outstanding_table(
        selectors.spend_outstanding(user=request.user, round=round))
    if request.GET.get("download"):
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(request, outstanding, request.GET["download"],
                                        file_stem=f"spend-returns-outstanding-{round.pk}")
    return render(request, "grants/spend.html", {
        "round": round, "outstanding": outstanding,
        "returns": grant_tables.spend_received_table(
            round, selectors.spend_returns_received(round)),
        "by_category": grant_tables.spend_by_category_table(selectors.spend_by_category(round)),
        "download_links": tables.download_links(request),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT)})


def reconciliation(request, pk: int):
    round = _round(request, pk)
    recon = selectors.reconciliation(user=request.user, round=round)
    table = grant_tables.reconciliation_table(round, recon)
    if request.GET.get("download"):
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(request, table, request.GET["download"],
                                        file_stem=f"reconciliation-round-{round.pk}")
    return render(request, "grants/reconciliation.html", {
        "round": round, "recon": recon, "table": table,
        "download_links": tables.download_links(request),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT)})


def government_return(request, pk: int):
    round = _round(request, pk)
    report = selectors.government_return(round)
    if request.GET.get("download"):
        tenancy.require(request.user, Capability.EXPORT)
        return tables.download_response(
            request, grant_tables.government_return_table(report), request.GET["download"],
            file_stem=f"icf-return-{round.authority.ons_code}-{round.pk}")
    return render(request, "grants/government_return.html", {
        "round": round, "report": report,
        "elements": grant_tables.return_elements_table(report),
        "instalments": grant_tables.return_instalments_table(report),
        "spend": grant_tables.return_spend_table(report),
        "download_links": tables.download_links(request),
        "can_export": tenancy.has_capability(request.user, Capability.EXPORT)})


# --- Published allocations (no sign-in) -----------------------------------------------------

@login_not_required
def published_list(request):
    return render(request, "grants/published_list.html", {
        "table": grant_tables.published_rounds_table(
            selectors.published_rounds().order_by("authority__name", "-pk"))})


@login_not_required
def published_round(request, pk: int, fmt: str = "html"):
    if fmt not in ("html", "csv", "json"):
        raise Http404
    round = get_object_or_404(selectors.published_rounds(), pk=pk)
    table = grant_tables.open_data_table(selectors.open_data_rows(round))
    if fmt == "json":
        return JsonResponse({"round": round.name, "authority": round.authority.name,
                             "authority_code": round.authority.ons_code,
                             "eligibility_date": round.eligibility_date.isoformat(),
                             "confirmed_on": long_date(timezone.localdate(round.confirmed_at)),
                             "allocations": list(table.json_rows())},
                            json_dumps_params={"indent": 1})
    if fmt == "csv":  # public data: not a download of records to log
        return tables.download_response(request, table, "csv", log=False,
                                        file_stem=f"icf-allocations-{round.pk}")
    return render(request, "grants/published_round.html", {"round": round, "table": table})

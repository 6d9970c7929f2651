import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from caresight.core import tenancy
from caresight.core.audit import history_entries
from caresight.core.dashboards import landing
from caresight.core.files import ImportFileError
from caresight.core.forms import TOKEN_FIELD, ImportUploadForm, add_service_errors
from caresight.core.imports import get_importer, importers
from caresight.core.tables import (
    Column,
    Kind,
    Table,
    history_changes_table,
    import_errors_table,
    import_outcomes_table,
)
from caresight.core.tenancy import Capability
from caresight.core.timeutils import long_date

from . import selectors
from .models import EmailDelivery, Job
from .services import (
    DOCUMENTS,
    import_job_confirm,
    import_job_create,
    submission_token_claim,
    submission_token_record,
)

T = TypeVar("T")


def call_and_tell(request, call: Callable[[], T], success: Callable[[T], str] | None = None
                  ) -> None:
    """Run a page's service call and tell the user how it went: a refusal
    (ValidationError) as an error message, else `success` of what the call returned."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if success is not None:
            messages.success(request, success(result))


ALREADY_SENT = "That form was already sent; it was acted on once."


def handle_form(request, form: forms.BaseForm, service_call: Callable[[dict[str, Any]], T], *,
                success_message: str | Callable[[T], str] | None,
                redirect_to: str | Callable[[T], str],
                already_sent: str = ALREADY_SENT) -> HttpResponse | None:
    """The one way a page handles a form: bind (the caller), check, call the service, put its
    refusal (ValidationError) on the form's fields, tell the user, redirect.

    `service_call(data)` gets the cleaned data (without the one-time token) and makes the one
    service call; `redirect_to` is a URL or a function of what the service returned. Return
    the redirect, or None when the page is to be shown again with the form (not posted,
    invalid, or refused by the service).

    A form with a one-time token (`OnceOnlyFormMixin`, on every form that creates something)
    is acted on once: the token is claimed in the service call's transaction (so a refusal
    does not use it up), and a second submission of the same form creates nothing and is
    sent where the first went.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    data = {key: value for key, value in form.cleaned_data.items() if key != TOKEN_FIELD}
    token = form.cleaned_data.get(TOKEN_FIELD)
    with transaction.atomic():
        if token is not None:
            first = submission_token_claim(token=token, user=request.user)
            if first:
                messages.info(request, already_sent)
                return redirect(first)
        try:
            result = service_call(data)
        except ValidationError as exc:
            transaction.set_rollback(True)
            add_service_errors(form, exc)
            return None
        url = redirect_to(result) if callable(redirect_to) else redirect_to
        if token is not None:
            submission_token_record(token=token, url=url)
    message = success_message(result) if callable(success_message) else success_message
    if message:
        messages.success(request, message)
    return redirect(url)


def history_page(request, record, *, back_url: str):
    """A record's history, newest first: who changed what, when and why (core.audit)."""
    entries = history_entries(record)
    for entry in entries:
        entry["table"] = history_changes_table(entry["changes"]) if entry["changes"] else None
    return render(request, "core/history.html", {
        "record": record, "entries": entries, "back_url": back_url})


def home(request):
    """The landing page: the dashboard the dashboards app registered (core.dashboards), or,
    without one, the first page the user's role has."""
    view = landing()
    if view is not None:
        return view(request)
    if (tenancy.has_capability(request.user, Capability.SUBMIT_RETURNS)
            and not tenancy.has_capability(request.user, Capability.VIEW_AGGREGATES)):
        return redirect("returns:submit-list")  # a provider's staff
    if tenancy.has_capability(request.user, Capability.VIEW_RECORDS):
        return redirect("registry:location-list")
    if tenancy.has_capability(request.user, Capability.VIEW_AGGREGATES):
        return redirect("registry:summary")
    return redirect("accounts:account")


def import_upload(request, *, kind: str, pk: int | None = None):
    """The upload page every import shares: keep the file in a job, then show its preview.

    The import's registration (core.imports) gives the page its words and who may use it; an
    import into one record (`Importer.target_label`) takes the record's ID as `pk`.
    """
    if kind not in importers():
        raise Http404
    importer = get_importer(kind)
    tenancy.require(request.user, importer.capability)
    target = ""
    if importer.target_label:
        target = str(pk)
        try:
            importer.find_target(target, request.user)
        except ImportFileError:
            raise Http404("No such record.") from None
    form = ImportUploadForm(request.POST or None, request.FILES or None, hint=importer.file_hint)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(kind=kind, file_name=upload.name, data=upload.read(),
                                    user=request.user, target=target)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("job-detail", pk=job.pk)
    return render(request, "core/import.html", {"form": form, "importer": importer})


def _own_job(request, pk) -> Job:
    # A job is only ever shown to the person who started it: it may hold another council's file.
    return get_object_or_404(Job.objects.defer("payload"), pk=pk, created_by=request.user)


def job_detail(request, pk):
    job = _own_job(request, pk)
    if job.kind in DOCUMENTS:
        return render(request, "core/document_job.html", {"job": job})
    pages = get_importer(job.kind).pages
    args = [job.target] if job.target else []
    result = job.result
    if "outcomes" not in result and "counts" in result:  # a job from before outcomes had labels
        result = dict(result, outcomes=[{"outcome": k, "label": k, "count": n}
                                        for k, n in result["counts"].items()])
    return render(request, "core/job_detail.html", {
        "job": job, "result": result, "errors": import_errors_table(result),
        "outcomes": import_outcomes_table(result, previewed=job.status == Job.Status.PREVIEWED),
        "upload_url": reverse(pages.upload, args=args),
        "done_url": reverse(pages.done, args=args), "done_label": pages.done_label,
    })


def attachment_response(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    """A file to save (not to show): every download of a stored or drawn file."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def job_download(request, pk):
    """The document a finished document job made, for the person who asked for it."""
    job = get_object_or_404(Job, pk=pk, created_by=request.user, kind__in=list(DOCUMENTS),
                            status=Job.Status.DONE)
    return attachment_response(bytes(job.payload), job.result["content_type"],
                               job.result["file_name"])


@require_POST
def job_confirm(request, pk):
    job = _own_job(request, pk)
    call_and_tell(request, lambda: import_job_confirm(job=job, user=request.user))
    return redirect("job-detail", pk=job.pk)


@never_cache
def download_list(request):
    """The log of downloads of record-level data, for administrators."""
    if not selectors.is_administrator(request.user):
        raise PermissionDenied
    page = Paginator(selectors.download_list(user=request.user), 100).get_page(
        request.GET.get("page"))
    table = Table(columns=DOWNLOAD_COLUMNS, rows=page.object_list, title="Downloads",
                  caption=f"Downloads, page {page.number} of {page.paginator.num_pages}",
                  caption_hidden=True, empty_message="Nobody has downloaded anything yet.")
    return render(request, "core/download_list.html", {"page": page, "table": table,
                                                       "query": ""})


def filters_in_words(query: str) -> str:
    """A download's filters (its query string) as people read them: "Service type:
    care_home; As of: 2 December 2026", leaving out filters left blank."""
    words = []
    for key, value in parse_qsl(query):
        with contextlib.suppress(ValueError):
            value = long_date(dt.date.fromisoformat(value))
        words.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    return "; ".join(words)


DOWNLOAD_COLUMNS = [
    Column("at", "When", kind=Kind.DATETIME, row_header=True),
    Column("by", "Who"),
    Column("what", "What"),
    Column("filters", "Filters", value=lambda r: filters_in_words(r.filters),
           empty="No filters"),
    Column("file_format", "Format", value=lambda r: r.file_format.upper()),
    Column("rows", "Rows", kind=Kind.WHOLE),
]


@never_cache
def email_list(request):
    """The emails Caresight has sent (or is trying to), one row per recipient, for
    administrators: the status of each and, for one not sent, why."""
    if not selectors.is_administrator(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    status = status if status in EmailDelivery.Status.values else ""
    page = Paginator(selectors.email_delivery_list(user=request.user, status=status), 100
                     ).get_page(request.GET.get("page"))
    table = Table(columns=EMAIL_COLUMNS, rows=page.object_list, title="Emails",
                  caption=f"Emails, page {page.number} of {page.paginator.num_pages}",
                  caption_hidden=True, empty_message="No emails yet.")
    return render(request, "core/email_list.html", {
        "page": page, "table": table, "status": status, "statuses": EmailDelivery.Status.choices,
        "query": f"status={status}" if status else ""})


STATUS_COLOURS = {EmailDelivery.Status.QUEUED: "blue", EmailDelivery.Status.SENDING: "blue",
                  EmailDelivery.Status.SENT: "green", EmailDelivery.Status.FAILED: "red"}
EMAIL_KINDS = {"invitation": "Invitation", "password_reset": "Password reset"}


def _email_why(delivery: EmailDelivery) -> str:
    if delivery.status == EmailDelivery.Status.QUEUED and delivery.attempts:
        again = timezone.localtime(delivery.next_attempt_at)
        return f"{delivery.last_error} Trying again at {again:%H:%M} on {long_date(again.date())}."
    return delivery.last_error


EMAIL_COLUMNS = [
    Column("queued_at", "Queued", kind=Kind.DATETIME, row_header=True),
    Column("recipient", "To"),
    Column("subject", "Subject", value="email.subject"),
    Column("kind", "Kind", value=lambda d: EMAIL_KINDS.get(
        d.email.kind, d.email.kind.replace("_", " ").capitalize())),
    Column("status", "Status", choices=EmailDelivery.Status,
           tag_colour=lambda v: STATUS_COLOURS.get(v)),
    Column("attempts", "Attempts", kind=Kind.WHOLE),
    Column("sent_at", "Sent", kind=Kind.DATETIME, empty="Not sent"),
    Column("reason", "Reason", value=_email_why, empty=""),
]

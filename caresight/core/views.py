from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from caresight.core import tenancy
from caresight.core.forms import ImportUploadForm
from caresight.core.imports import get_importer, importers
from caresight.core.tenancy import Capability

from .models import Job
from .services import DOCUMENTS, import_job_confirm, import_job_create

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


def home(request):
    if (tenancy.has_capability(request.user, Capability.SUBMIT_RETURNS)
            and not tenancy.has_capability(request.user, Capability.VIEW_AGGREGATES)):
        return redirect("returns:submit-list")  # a provider's staff
    if tenancy.has_capability(request.user, Capability.VIEW_RECORDS):
        return redirect("registry:location-list")
    if tenancy.has_capability(request.user, Capability.VIEW_AGGREGATES):
        return redirect("registry:summary")
    return redirect("accounts:account")


def import_upload(request, *, kind: str):
    """The upload page every import shares: keep the file in a job, then show its preview.

    The import's registration (core.imports) gives the page its words and who may use it.
    """
    if kind not in importers():
        raise Http404
    importer = get_importer(kind)
    tenancy.require(request.user, importer.capability)
    form = ImportUploadForm(request.POST or None, request.FILES or None, hint=importer.file_hint)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(kind=kind, file_name=upload.name, data=upload.read(),
                                    user=request.user)
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
    result = job.result
    if "outcomes" not in result and "counts" in result:  # a job from before outcomes had labels
        result = dict(result, outcomes=[{"outcome": k, "label": k, "count": n}
                                        for k, n in result["counts"].items()])
    return render(request, "core/job_detail.html", {
        "job": job, "result": result, "upload_url": reverse(pages.upload),
        "done_url": reverse(pages.done), "done_label": pages.done_label,
    })


def job_download(request, pk):
    """The document a finished document job made, for the person who asked for it."""
    job = get_object_or_404(Job, pk=pk, created_by=request.user, kind__in=list(DOCUMENTS),
                            status=Job.Status.DONE)
    response = HttpResponse(bytes(job.payload), content_type=job.result["content_type"])
    response["Content-Disposition"] = f'attachment; filename="{job.result["file_name"]}"'
    return response


@require_POST
def job_confirm(request, pk):
    job = _own_job(request, pk)
    call_and_tell(request, lambda: import_job_confirm(job=job, user=request.user))
    return redirect("job-detail", pk=job.pk)

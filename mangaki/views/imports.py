"""List import pages: upload, preview with an adjustable mapping, progress.

Uploads and preview renders (which match every entry against the catalogue) are capped per
person (``RATE_LIMITS``), and one person has at most ``LIST_IMPORTS_AT_ONCE`` confirmed
imports running at a time.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mangaki.choices import Choice
from mangaki.lists.mapping import BY_SCORE, CHOICES, SKIP, Mapping
from mangaki.lists.parsers import MAX_BYTES, ListFormatError
from mangaki.lists.service import (
    ImportBusy,
    PreviewExpired,
    build_plan,
    confirm_import,
    create_import,
    expire_if_stale,
    parsed_entries,
)
from mangaki.models import ListImport
from mangaki.security.middleware import accepts_upload
from mangaki.security.pages import check, limited, too_many

PREVIEW_ROWS = 200
# Display names only: the forms and the stored options keep the machine values.
CHOICE_LABELS = {
    **{c: Choice(c).label for c in CHOICES},
    SKIP: gettext_lazy("Skip"),
    BY_SCORE: gettext_lazy("By score"),
}
ACTION_LABELS = {
    "create": gettext_lazy("To create"),
    "change": gettext_lazy("To change"),
    "keep": gettext_lazy("Kept (you already rated them differently)"),
    "unchanged": gettext_lazy("Already the same"),
    "skip": gettext_lazy("Skipped by the mapping"),
    "duplicate": gettext_lazy("Duplicates"),
    "unmatched": gettext_lazy("Not found in the catalogue"),
}
MATCH_LABELS = {
    "mal": gettext_lazy("MyAnimeList id"),
    "anilist": gettext_lazy("AniList id"),
    "title": gettext_lazy("title"),
    "ambiguous": gettext_lazy("several works have this title"),
    "new": gettext_lazy("added to the catalogue"),
    "none": "—",
}
_CHOICE_OPTIONS = [(c, CHOICE_LABELS[c]) for c in (*CHOICES, SKIP)]
_BY_SCORE_OPTION = (BY_SCORE, CHOICE_LABELS[BY_SCORE])


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("MyAnimeList XML (or .xml.gz) or AniList JSON"))


class MappingForm(forms.Form):
    favorite_min = forms.IntegerField(min_value=0, max_value=10, initial=10)
    like_min = forms.IntegerField(min_value=0, max_value=10, initial=7)
    neutral_min = forms.IntegerField(min_value=0, max_value=10, initial=5)
    calibrate = forms.BooleanField(required=False)
    unscored = forms.ChoiceField(choices=_CHOICE_OPTIONS)
    watching = forms.ChoiceField(choices=[_BY_SCORE_OPTION, *_CHOICE_OPTIONS])
    on_hold = forms.ChoiceField(choices=[_BY_SCORE_OPTION, *_CHOICE_OPTIONS])
    dropped = forms.ChoiceField(choices=_CHOICE_OPTIONS)
    planned = forms.ChoiceField(choices=_CHOICE_OPTIONS)
    overwrite = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                data["mapping"] = Mapping.from_dict(data)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
        return data


@login_required
@accepts_upload
@limited("import_upload")
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            error = _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
        else:
            try:
                list_import = create_import(request.user, upload.name, upload)
            except ListFormatError as problem:
                error = _("This file cannot be imported: %(why)s.") % {"why": problem}
            else:
                return redirect("list-import", list_import.pk)
    return render(
        request,
        "mangaki/account/import_upload.html",
        {
            "form": form,
            "error": error,
            "max_mb": MAX_BYTES // 2**20,
            "max_upload": settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
        },
        status=400 if error or form.errors else 200,
    )


@login_required
def preview(request, pk: int):
    list_import = get_object_or_404(ListImport, pk=pk, user=request.user)
    expire_if_stale(list_import)
    if list_import.status != ListImport.Status.PREVIEW:
        return render(request, "mangaki/account/import_progress.html", {"imp": list_import})
    initial = {
        **list_import.options.get("mapping", {}),
        "overwrite": list_import.options.get("overwrite", False),
    }
    form = MappingForm(request.POST or None, initial=initial)
    mapping = Mapping.from_dict(initial)
    overwrite = bool(initial["overwrite"])
    busy = None
    if request.method == "POST" and form.is_valid():
        mapping, overwrite = form.cleaned_data["mapping"], form.cleaned_data["overwrite"]
        if "confirm" in request.POST:
            try:
                confirm_import(list_import, mapping, overwrite)
            except ImportBusy:
                busy = _("Another import of yours is running: confirm this one when it is done.")
            except PreviewExpired:
                return redirect("list-import", list_import.pk)  # the page says it expired
            else:
                return redirect("list-import", list_import.pk)
        list_import.options = {
            **list_import.options,
            "mapping": mapping.to_dict(),
            "overwrite": overwrite,
        }
        list_import.save(update_fields=["options"])
    decision = check(request, "import_preview")  # matching a long list costs seconds of CPU
    if not decision.allowed:
        return too_many(request, decision)
    plan = build_plan(request.user, parsed_entries(list_import), mapping, overwrite)
    sections = [
        (
            ACTION_LABELS[action],
            plan.counts[action],
            plan.by_action(action)[: None if action == "unmatched" else PREVIEW_ROWS],
        )
        for action in ("create", "change", "keep", "unchanged", "skip", "duplicate", "unmatched")
    ]
    return render(
        request,
        "mangaki/account/import_preview.html",
        {
            "imp": list_import,
            "form": form,
            "plan": plan,
            "sections": sections,
            "favorite_min": plan.mapping.favorite_min,
            "choice_labels": CHOICE_LABELS,
            "match_labels": MATCH_LABELS,
            "busy": busy,
        },
        status=409 if busy else 400 if form.errors else 200,
    )


@login_required
def status(request, pk: int):
    imp = get_object_or_404(ListImport.objects.defer("entries"), pk=pk, user=request.user)
    return JsonResponse(
        {
            "status": imp.status,
            "status_label": imp.get_status_display(),  # in the page's language
            "progress": imp.progress,
            "total": imp.total,
            "created": imp.created,
            "changed": imp.changed,
            "unchanged": imp.unchanged,
            "skipped": imp.skipped,
            "unmatched": imp.unmatched,
            "error": imp.error,
            "finished": imp.is_finished,
        }
    )

"""The /account/ pages: consent settings, e-mail address, data export, account deletion."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mangaki.language import remember_language
from mangaki.lists.export import export_mal_xml, export_zip
from mangaki.models import ListImport, Profile
from mangaki.services.accounts import delete_account


class _PasswordChecked:
    """A form for ``user`` whose ``password`` field must be their current password."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]  # type: ignore[attr-defined]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["nsfw_ok", "is_shared", "research_ok", "language"]


class EmailForm(_PasswordChecked, forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        required=False,
        help_text=gettext_lazy("Only to reset your password if you forget it. Empty: none."),
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Whoever can change the address can reset the password."),
    )


class DeleteForm(_PasswordChecked, forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my account and all my ratings will be deleted.")
    )


def _settings_page(request, form, email_form=None):
    imports = ListImport.objects.filter(user=request.user).defer("entries")[:10]
    email_form = email_form or EmailForm(request.user, initial={"email": request.user.email})
    return render(
        request,
        "mangaki/account/settings.html",
        {"form": form, "imports": imports, "email_form": email_form},
        status=400 if form.errors or email_form.errors else 200,
    )


@login_required
@never_cache
def settings(request):
    form = ConsentForm(request.POST or None, instance=request.user.profile)
    if request.method == "POST" and form.is_valid():
        profile = form.save()
        if profile.language:
            translation.activate(profile.language)  # the confirmation in the new language
        messages.success(request, _("Your settings are saved."))
        response = redirect("account")
        if "language" in form.changed_data:
            remember_language(response, profile.language)
        return response
    return _settings_page(request, form)


@login_required
@require_POST
def change_email(request):
    form = EmailForm(request.user, request.POST)
    if not form.is_valid():
        return _settings_page(request, ConsentForm(instance=request.user.profile), form)
    request.user.email = form.cleaned_data["email"]
    request.user.save(update_fields=["email"])
    messages.success(request, _("Your e-mail address is saved."))
    return redirect("account")


@login_required
def export_all(request):
    response = HttpResponse(export_zip(request.user), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="mangaki-export.zip"'
    return response


@login_required
def export_mal(request, category: str):
    if category not in ("anime", "manga"):
        return HttpResponse(status=404)
    xml, _missing = export_mal_xml(request.user, category)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mangaki-{category}list.xml"'
    return response


@login_required
def delete(request):
    form = DeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        delete_account(user)
        messages.success(request, _("Your account and all its data are deleted."))
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "mangaki/account/delete.html", {"form": form}, status=status)

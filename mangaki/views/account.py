"""The /account/ pages: consent settings, data export, account deletion."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mangaki.language import remember_language
from mangaki.lists.export import export_mal_xml, export_zip
from mangaki.models import ListImport, Profile
from mangaki.services.accounts import delete_account


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["nsfw_ok", "is_shared", "research_ok", "language"]


class DeleteForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my account and all my ratings will be deleted.")
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


@login_required
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
    imports = ListImport.objects.filter(user=request.user).defer("entries")[:10]
    return render(request, "mangaki/account/settings.html", {"form": form, "imports": imports})


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

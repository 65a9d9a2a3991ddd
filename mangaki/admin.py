from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils.html import format_html, format_html_join

from mangaki.models import (
    ApiToken,
    Category,
    Profile,
    Rating,
    Tag,
    TaggedWork,
    TagSource,
    Work,
    WorkTitle,
)
from mangaki.models.catalog import PosterStatus
from mangaki.security.urls import safe_poster_url
from mangaki.services.accounts import delete_account
from mangaki.services.ratings import rate_work, remove_rating
from mangaki.tasks.counters import recount_later


class WorkTitleInline(admin.TabularInline):
    model = WorkTitle
    extra = 0
    fields = ["title", "language"]


class TaggedWorkInline(admin.TabularInline):
    model = TaggedWork
    extra = 0
    autocomplete_fields = ["tag"]
    fields = ["tag", "source", "weight"]
    ordering = ["source", "-weight"]


def poster_thumbnail(work: Work, height: int = 60) -> str:
    url = work.poster.url if work.poster else safe_poster_url(work.poster_url)
    if not url:
        return "—"
    return format_html('<img src="{}" alt="" style="height:{}px;border-radius:3px">', url, height)


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "title",
        "category",
        "work_type",
        "year_display",
        "nb_ratings",
        "score",
        "nsfw",
    ]
    list_display_links = ["thumbnail", "title"]
    list_filter = [
        "category",
        "work_type",
        "nsfw",
        "poster_status",
        ("tagged__tag", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "titles__title", "=mal_id", "=anilist_id", "=anidb_id"]
    list_select_related = ["category"]
    inlines = [WorkTitleInline, TaggedWorkInline]
    readonly_fields = [
        "poster_preview",
        "poster_tags",
        "poster_status",
        "poster_error",
        "poster_tagged_at",
        "nb_ratings",
        "nb_seen",
        "nb_favorite",
        "nb_like",
        "nb_neutral",
        "nb_dislike",
        "nb_willsee",
        "nb_wontsee",
        "score",
        "controversy",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "category",
                    "work_type",
                    "episodes",
                    "volumes",
                    "start_date",
                    "end_date",
                    "nsfw",
                    "synopsis",
                ]
            },
        ),
        (
            "External ids",
            {"fields": ["mal_id", "anilist_id", "anidb_id", "external_score", "external_members"]},
        ),
        (
            "Poster",
            {
                "fields": [
                    "poster_preview",
                    "poster",
                    "poster_url",
                    "poster_status",
                    "poster_error",
                    "poster_tagged_at",
                ]
            },
        ),
        (
            "Counters (recomputed from ratings)",
            {
                "classes": ["collapse"],
                "fields": [
                    "nb_ratings",
                    "nb_seen",
                    "nb_favorite",
                    "nb_like",
                    "nb_neutral",
                    "nb_dislike",
                    "nb_willsee",
                    "nb_wontsee",
                    "score",
                    "controversy",
                ],
            },
        ),
    ]
    actions = ["recount", "retag"]
    change_list_template = "admin/mangaki/work/change_list.html"

    def changelist_view(self, request, extra_context=None):
        with_poster = Work.objects.exclude(poster="")
        extra_context = {
            **(extra_context or {}),
            "tagging_backlog": with_poster.filter(poster_status=PosterStatus.PENDING).count(),
            "tagging_errors": with_poster.filter(poster_status=PosterStatus.ERROR).count(),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="Tags seen on the poster")
    def poster_tags(self, work: Work) -> str:
        tags = TaggedWork.objects.filter(work=work, source=TagSource.POSTER).select_related("tag")
        if not tags:
            return work.poster_error or "—"
        return format_html_join(
            ", ", "{} ({})", ((t.tag.name, f"{t.weight:.2f}") for t in tags.order_by("-weight"))
        )

    @admin.action(description="Re-tag the posters of the selected works")
    def retag(self, request, queryset):
        from tagger.service import request_tagging

        ids = list(queryset.exclude(poster="").values_list("pk", flat=True))
        queued = request_tagging(ids)
        note = "" if queued else " (the broker is away: some wait as pending for the backlog)"
        self.message_user(request, f"{len(ids)} posters marked for tagging{note}.")

    @admin.display(description="Poster")
    def thumbnail(self, work: Work) -> str:
        return poster_thumbnail(work, 48)

    @admin.display(description="Poster preview")
    def poster_preview(self, work: Work) -> str:
        return poster_thumbnail(work, 240)

    @admin.display(description="Year", ordering="start_date")
    def year_display(self, work: Work):
        return work.year or "—"

    @admin.action(description="Recount the ratings of the selected works")
    def recount(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queued = recount_later(ids)
        where = "queued" if queued else "marked for beat's next recount (the broker is away)"
        self.message_user(request, f"Recount {where} for {len(ids)} works.")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "is_genre", "nb_works"]
    list_filter = ["is_genre"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("tagged"))

    @admin.display(description="Works", ordering="n")
    def nb_works(self, tag) -> int:
        return tag.n


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Ratings change through the ratings service here too (counters recounted, the
    change dated), as everywhere else."""

    list_display = ["user", "work", "choice", "date"]
    list_filter = ["choice", "work__category"]
    search_fields = ["user__username", "work__title"]
    raw_id_fields = ["user", "work"]
    list_select_related = ["user", "work"]
    date_hierarchy = "date"
    readonly_fields = ["date"]

    def save_model(self, request, obj, form, change):
        if change and {"user", "work"} & set(form.changed_data):
            remove_rating(form.initial_user, form.initial_work_id)
        saved = rate_work(obj.user, obj.work_id, obj.choice)
        obj.pk, obj.date = saved.pk, saved.date

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.initial_user = obj.user if obj else None
        form.initial_work_id = obj.work_id if obj else None
        return form

    def delete_model(self, request, obj):
        remove_rating(obj.user, obj.work_id)

    def delete_queryset(self, request, queryset):
        for rating in queryset.select_related("user"):
            remove_rating(rating.user, rating.work_id)


class AccountAdmin(UserAdmin):
    """Deleting a person in the admin is the account deletion every other path uses:
    their works are recounted at once."""

    def delete_model(self, request, obj):
        delete_account(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            delete_account(user)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "nsfw_ok", "is_shared", "research_ok", "is_demo"]
    list_filter = ["nsfw_ok", "is_shared", "research_ok", "is_demo"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


admin.site.register(Category)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see and revoke tokens; keys themselves are never stored, only hashes."""

    list_display = ["name", "user", "prefix", "created", "last_used"]
    search_fields = ["user__username", "name", "prefix"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created", "last_used"]

    def has_add_permission(self, request):
        return False

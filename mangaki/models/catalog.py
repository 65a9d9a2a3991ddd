"""The catalogue: categories, works, their titles and tags."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mangaki.text import normalize_title

from .rankings import WorkQuerySet


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


#: The fields a work card, a recommendation card and the API's work summary show: lists
#: load only these (``.only(*CARD_FIELDS)``), never a synopsis or a poster embedding.
CARD_FIELDS = (
    "title",
    "category",
    "work_type",
    "start_date",
    "nb_ratings",
    "nb_seen",
    "nsfw",
    "poster",
    "poster_url",
)


class WorkType(models.TextChoices):
    TV = "tv", "TV"
    MOVIE = "movie", _("Movie")
    OVA = "ova", "OVA"
    ONA = "ona", "ONA"
    SPECIAL = "special", _("Special")
    MUSIC = "music", _("Music")
    MANGA = "manga", "Manga"
    MANHWA = "manhwa", "Manhwa"
    MANHUA = "manhua", "Manhua"
    LIGHT_NOVEL = "light_novel", _("Light novel")
    ONE_SHOT = "one_shot", _("One-shot")
    DOUJINSHI = "doujinshi", _("Doujinshi")
    UNKNOWN = "", _("Unknown")


class PosterStatus(models.TextChoices):
    NONE = "none", _("No poster")
    PENDING = "pending", _("Waiting for tagging")
    TAGGED = "tagged", _("Tagged")
    ERROR = "error", _("Refused")


class Work(models.Model):
    title = models.CharField(max_length=255)
    # normalize_title(title): case- and accent-insensitive search and import matching.
    search_key = models.CharField(max_length=255, db_index=True, editable=False, default="")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="works")
    work_type = models.CharField(max_length=16, choices=WorkType.choices, blank=True, default="")
    episodes = models.PositiveIntegerField(null=True, blank=True)
    volumes = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    synopsis = models.TextField(blank=True)
    nsfw = models.BooleanField(default=False)

    mal_id = models.PositiveIntegerField(null=True, blank=True)
    anilist_id = models.PositiveIntegerField(null=True, blank=True)
    anidb_id = models.PositiveIntegerField(null=True, blank=True)
    # Popularity elsewhere (MyAnimeList), used to order decks before the site has ratings.
    external_score = models.FloatField(null=True, blank=True)
    external_members = models.PositiveIntegerField(null=True, blank=True)

    poster = models.ImageField(upload_to="posters/", blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    poster_status = models.CharField(
        max_length=8, choices=PosterStatus.choices, default=PosterStatus.NONE
    )
    poster_error = models.CharField(max_length=300, blank=True)
    # float32 embedding of the poster, for "looks like" similarity.
    poster_embedding = models.BinaryField(null=True, blank=True, editable=False)
    poster_tagged_at = models.DateTimeField(null=True, blank=True)

    # Cached rating counters, recomputed from the ratings (mangaki.services.counters).
    nb_ratings = models.PositiveIntegerField(default=0)
    nb_seen = models.PositiveIntegerField(default=0, db_index=True)
    nb_favorite = models.PositiveIntegerField(default=0)
    nb_like = models.PositiveIntegerField(default=0)
    nb_neutral = models.PositiveIntegerField(default=0)
    nb_dislike = models.PositiveIntegerField(default=0)
    nb_willsee = models.PositiveIntegerField(default=0)
    nb_wontsee = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0.0)
    controversy = models.FloatField(default=0.0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["category", "mal_id"], name="unique_mal_id"),
            models.UniqueConstraint(fields=["category", "anilist_id"], name="unique_anilist_id"),
            models.UniqueConstraint(fields=["category", "anidb_id"], name="unique_anidb_id"),
        ]
        indexes = [
            models.Index(fields=["category", "-nb_ratings"]),
            models.Index(fields=["category", "-score"]),
            models.Index(fields=["category", "-external_members"]),
            # The work page's poster-index freshness check, count(*) and max(poster_tagged_at)
            # of the works with an embedding (mangaki.services.similar), without the table.
            models.Index(
                fields=["poster_tagged_at"],
                condition=models.Q(poster_embedding__isnull=False),
                name="work_embedded_tagged_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.search_key = normalize_title(self.title)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("work-detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        work = super().from_db(db, field_names, values)
        # Remember the stored poster, so saving a new one queues it for tagging.
        work._loaded_poster = work.__dict__.get("poster")
        return work

    def get_work_type_display(self) -> str:
        # Replaces Django's generic method, which rebuilds a dict of every choice on each call
        # (a tenth of a millisecond per card on a page of cards).
        try:
            return str(WorkType(self.work_type).label)
        except ValueError:
            return self.work_type

    @property
    def year(self) -> int | None:
        return self.start_date.year if self.start_date else None

    @property
    def nb_likes(self) -> int:
        """Likes in the rankings' sense: favorites count as likes."""
        return self.nb_like + self.nb_favorite

    def rating_distribution(self) -> list[tuple[str, str, int]]:
        from mangaki.choices import Choice

        return [(c.value, c.label, getattr(self, f"nb_{c.value}")) for c in Choice]


class WorkTitle(models.Model):
    """An alternative title (another language, a synonym), searchable like the main one."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="titles")
    title = models.CharField(max_length=255)
    # BCP 47 tag: "en", "fr", "ja", "ja-Latn" (romaji); empty when unknown.
    language = models.CharField(max_length=16, blank=True)
    search_key = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "title", "language"], name="unique_work_title")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language or '?'})"

    def save(self, *args, **kwargs):
        self.search_key = normalize_title(self.title)
        super().save(*args, **kwargs)


class TagSource(models.TextChoices):
    METADATA = "metadata", _("Metadata")
    POSTER = "poster", _("Poster")
    COMMUNITY = "community", _("Community")


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_genre = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaggedWork(models.Model):
    """A tag on a work, from one source, with a weight (a probability for poster tags)."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="tagged")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged")
    source = models.CharField(max_length=10, choices=TagSource.choices)
    weight = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work", "tag", "source"], name="unique_work_tag_source"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0.0, weight__lte=1.0), name="tag_weight_in_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work} · {self.tag} ({self.source}, {self.weight:.2f})"

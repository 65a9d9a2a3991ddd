import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from mangaki.models import Category, Rating, Tag, TaggedWork, Work


def category(slug: str = "anime") -> Category:
    """A category, created if a transactional test's flush removed the migrated ones."""
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True  # the hook below saves the profile, not the user

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def research_ok(user, create, extracted, **kwargs):
        # The tests' actors consent to research use; a new account starts without consent.
        if create:
            user.profile.research_ok = True if extracted is None else extracted
            user.profile.save(update_fields=["research_ok"])


class WorkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Work

    title = factory.Sequence(lambda n: f"Work {n}")
    category = factory.LazyFunction(category)
    work_type = "tv"


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag {n}")
    slug = factory.LazyAttribute(lambda t: t.name.replace(" ", "-"))


class TaggedWorkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaggedWork

    work = factory.SubFactory(WorkFactory)
    tag = factory.SubFactory(TagFactory)
    source = "metadata"
    weight = 1.0


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    work = factory.SubFactory(WorkFactory)
    choice = "like"
    date = factory.LazyFunction(timezone.now)

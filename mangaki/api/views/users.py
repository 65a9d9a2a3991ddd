"""Public profiles: only of people who chose to share theirs. Nothing lists users."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mangaki.api.serializers import PublicProfileSerializer
from mangaki.choices import Choice
from mangaki.models import Work
from mangaki.services.profiles import visible_profile_owner

N_FAVORITES = 12


class PublicProfile(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["users"], responses=PublicProfileSerializer)
    def get(self, request, username: str):
        """A shared profile (or your own): rating counts and favorites. A private profile,
        or a deactivated account's, answers 404 exactly like an unknown name, so names
        cannot be probed (:mod:`mangaki.services.profiles`, the profile page's rule)."""
        user = visible_profile_owner(username, request.user)
        if user is None:
            raise NotFound("No such public profile.")
        counts = dict(
            user.ratings.order_by()
            .values_list("choice")
            .annotate(n=Count("pk"))
            .values_list("choice", "n")
        )
        favorites = (
            Work.objects.safe_for(request.user)
            .filter(ratings__user=user, ratings__choice=Choice.FAVORITE)
            .select_related("category")
            .defer("poster_embedding", "synopsis")
            .order_by("-ratings__date", "pk")[:N_FAVORITES]
        )
        data = {
            "username": user.username,
            "date_joined": user.date_joined,
            "nb_ratings": sum(counts.values()),
            "distribution": {c: counts.get(c, 0) for c in Choice.values},
            "favorites": list(favorites),
        }
        return Response(PublicProfileSerializer(data, context={"request": request}).data)

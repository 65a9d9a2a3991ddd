from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from mangaki import language
from mangaki.security.logins import guarded
from mangaki.views import (
    account,
    accounts,
    dashboard,
    deck,
    health,
    imports,
    profile,
    recommendations,
    search,
    tastemap,
    tokens,
    works,
)

urlpatterns = [
    path("", works.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("work/<int:pk>/", works.work_detail, name="work-detail"),
    path("work/<int:pk>/rate/", works.rate, name="work-rate"),
    path("recommendations/", recommendations.recommendations, name="recommendations"),
    path(
        "recommendations/<slug:category>/",
        recommendations.recommendations,
        name="recommendations-category",
    ),
    path("search/suggest/", search.suggest, name="search-suggest"),
    path("taste-map/<slug:category>/", tastemap.taste_map_page, name="taste-map"),
    path("deck/<slug:category>/", deck.deck_page, name="deck"),
    path("deck/<slug:category>/rate/", deck.rate, name="deck-rate"),
    path("deck/<slug:category>/undo/", deck.undo, name="deck-undo"),
    path(
        "deck/<slug:category>/recommendations/",
        deck.recommendations,
        name="deck-recommendations",
    ),
    path("u/<str:username>/", profile.profile, name="profile"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", guarded(accounts.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("account/", account.settings, name="account"),
    path("account/email/", account.change_email, name="account-email"),
    path("account/export/", account.export_all, name="account-export"),
    path("account/export/<slug:category>.xml", account.export_mal, name="account-export-mal"),
    path("account/delete/", account.delete, name="account-delete"),
    path("account/import/", imports.upload, name="list-import-upload"),
    path("account/import/<int:pk>/", imports.preview, name="list-import"),
    path("account/import/<int:pk>/status.json", imports.status, name="list-import-status"),
    path("account/tokens/", tokens.tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", tokens.revoke, name="api-token-revoke"),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("api/v1/", include("mangaki.api.urls")),
    path("admin/dashboard/", dashboard.dashboard, name="dashboard"),
    path("admin/dashboard/retrain/", dashboard.retrain, name="dashboard-retrain"),
    path("admin/dashboard/activate/", dashboard.activate, name="dashboard-activate"),
    # The admin's login, behind the same lockout as the site's (matched before admin/).
    path("admin/login/", guarded(admin.site.login)),
    path("admin/", admin.site.urls),
    path("<slug:category>/", works.work_list, name="work-list"),
]

if settings.SERVE_MEDIA:
    # Self-hosted installs serve uploaded posters themselves; a proxy may take this over.
    urlpatterns.insert(
        0, re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

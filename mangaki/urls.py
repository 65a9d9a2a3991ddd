from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mangaki import language
from mangaki.security.logins import guarded
from mangaki.views import (
    account_settings,
    dashboard,
    deck,
    duels,
    groups,
    health,
    imports,
    media,
    profile,
    recommendations,
    search,
    sign_in,
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
    path("group/", groups.group, name="group"),
    path("duel/<slug:category>/", duels.duel_page, name="duel"),
    path("duel/<slug:category>/answer/", duels.answer, name="duel-answer"),
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
    path("accounts/signup/", sign_in.signup, name="signup"),
    path("accounts/login/", guarded(sign_in.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/reset/",
        sign_in.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        sign_in.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/password/", sign_in.PasswordChangeView.as_view(), name="password_change"),
    path("account/", account_settings.settings, name="account"),
    path("account/email/", account_settings.change_email, name="account-email"),
    path("account/export/", account_settings.export_all, name="account-export"),
    path(
        "account/export/<slug:category>.xml", account_settings.export_mal, name="account-export-mal"
    ),
    path("account/delete/", account_settings.delete, name="account-delete"),
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

# Posters: from MEDIA_ROOT, or streamed from the database storage (FILE_STORAGE).
urlpatterns[:0] = media.media_patterns()

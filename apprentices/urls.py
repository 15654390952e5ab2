from django.urls import path

from apprentices import onboarding_views, views

app_name = "apprentices"
urlpatterns = [
    path("", views.apprentice_list, name="apprentice_list"),
    path("add/", views.apprentice_create, name="apprentice_create"),
    path("<int:pk>/", views.apprentice_detail, name="apprentice_detail"),
    path("<int:pk>/edit/", views.apprentice_edit, name="apprentice_edit"),
    path("<int:pk>/move-employer/", views.employer_move, name="employer_move"),
    path(
        "employer-moves/<int:pk>/decide/",
        views.employer_move_decide,
        name="employer_move_decide",
    ),
    path("<int:pk>/coverage/", views.apprentice_coverage, name="apprentice_coverage"),
    path("<int:pk>/move-version/", views.apprentice_move, name="apprentice_move"),
    path("<int:pk>/evidence/add/", views.evidence_create, name="evidence_create"),
    path("cohort/", views.cohort, name="cohort"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/edit/", views.evidence_edit, name="evidence_edit"),
    path("evidence/<int:pk>/ksbs/", views.evidence_map, name="evidence_map"),
    path("evidence/<int:pk>/submit/", views.evidence_submit, name="evidence_submit"),
    path("evidence/<int:pk>/withdraw/", views.evidence_withdraw, name="evidence_withdraw"),
    path("evidence/<int:pk>/review/", views.evidence_review, name="evidence_review"),
    path(
        "evidence/<int:pk>/files/<int:file_pk>/",
        views.evidence_file_download,
        name="evidence_file_download",
    ),
    path(
        "evidence/<int:pk>/files/<int:file_pk>/remove/",
        views.evidence_file_remove,
        name="evidence_file_remove",
    ),
    # Breaks in learning (off-the-job training is in the progress app)
    path("<int:pk>/breaks/add/", views.break_create, name="break_create"),
    path("<int:pk>/breaks/<int:break_pk>/remove/", views.break_remove, name="break_remove"),
]

# Data protection (apprentices.privacy).
urlpatterns += [
    path("<int:pk>/your-data/", views.apprentice_data, name="apprentice_data"),
    path(
        "<int:pk>/your-data/download/",
        views.apprentice_data_download,
        name="apprentice_data_download",
    ),
    path("<int:pk>/erase/", views.apprentice_erase, name="apprentice_erase"),
]

# Bulk onboarding (apprentices.onboarding).
urlpatterns += [
    path("onboarding/", onboarding_views.onboarding_upload, name="onboarding_upload"),
    path(
        "onboarding/template.csv",
        onboarding_views.onboarding_template,
        name="onboarding_template",
    ),
    path("onboarding/<int:pk>/", onboarding_views.onboarding_preview, name="onboarding_preview"),
    path(
        "onboarding/<int:pk>/confirm/",
        onboarding_views.onboarding_confirm,
        name="onboarding_confirm",
    ),
    path(
        "onboarding/<int:pk>/discard/",
        onboarding_views.onboarding_discard,
        name="onboarding_discard",
    ),
]

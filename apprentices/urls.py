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
    # Off-the-job training
    path("<int:pk>/off-the-job/", views.off_the_job_log, name="off_the_job_log"),
    path("<int:pk>/off-the-job/add/", views.off_the_job_create, name="off_the_job_create"),
    path("<int:pk>/off-the-job/plan/", views.off_the_job_plan, name="off_the_job_plan"),
    path("<int:pk>/breaks/add/", views.break_create, name="break_create"),
    path("<int:pk>/breaks/<int:break_pk>/remove/", views.break_remove, name="break_remove"),
    path("off-the-job/", views.off_the_job_queue, name="off_the_job_queue"),
    path("off-the-job/<int:pk>/edit/", views.off_the_job_edit, name="off_the_job_edit"),
    path("off-the-job/<int:pk>/approve/", views.off_the_job_approve, name="off_the_job_approve"),
    path("off-the-job/<int:pk>/query/", views.off_the_job_query, name="off_the_job_query"),
    # Progress reviews
    path("<int:pk>/progress-reviews/", views.progress_review_list, name="progress_review_list"),
    path(
        "<int:pk>/progress-reviews/schedule/",
        views.progress_review_schedule,
        name="progress_review_schedule",
    ),
    path("progress-reviews/<int:pk>/", views.progress_review_detail, name="progress_review_detail"),
    path(
        "progress-reviews/<int:pk>/record/",
        views.progress_review_record,
        name="progress_review_record",
    ),
    path(
        "progress-reviews/<int:pk>/sign/", views.progress_review_sign, name="progress_review_sign"
    ),
    path(
        "progress-reviews/<int:pk>/signing-link/",
        views.progress_review_link,
        name="progress_review_link",
    ),
    path(
        "progress-reviews/sign/<str:token>/",
        views.progress_review_sign_link,
        name="progress_review_sign_link",
    ),
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

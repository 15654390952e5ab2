"""Under /apprentices/ beside the apprentices app's own paths (psp.urls), as before the move."""

from django.urls import path

from progress import views

app_name = "progress"
urlpatterns = [
    # Off-the-job training
    path("<int:pk>/off-the-job/", views.off_the_job_log, name="off_the_job_log"),
    path("<int:pk>/off-the-job/add/", views.off_the_job_create, name="off_the_job_create"),
    path("<int:pk>/off-the-job/plan/", views.off_the_job_plan, name="off_the_job_plan"),
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

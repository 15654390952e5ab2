from django.urls import path

from apprentices import views

app_name = "apprentices"
urlpatterns = [
    path("", views.apprentice_list, name="apprentice_list"),
    path("add/", views.apprentice_create, name="apprentice_create"),
    path("<int:pk>/", views.apprentice_detail, name="apprentice_detail"),
    path("<int:pk>/edit/", views.apprentice_edit, name="apprentice_edit"),
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
]

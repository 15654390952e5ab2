from django.urls import path

from epa import views

app_name = "epa"
urlpatterns = [
    path("", views.epa_list, name="epa_list"),
    path("<int:pk>/", views.epa_detail, name="epa_detail"),
    path("<int:pk>/assessor/", views.epa_assign, name="epa_assign"),
    path("<int:pk>/submit/", views.epa_submit, name="epa_submit"),
    path("<int:pk>/moderate/", views.epa_moderate, name="epa_moderate"),
    path("<int:pk>/resit/", views.epa_resit, name="epa_resit"),
    path("<int:pk>/amend/", views.result_amend, name="result_amend"),
    path(
        "<int:pk>/methods/<int:assessment_pk>/schedule/",
        views.assessment_schedule,
        name="assessment_schedule",
    ),
    path(
        "<int:pk>/methods/<int:assessment_pk>/record/",
        views.assessment_record,
        name="assessment_record",
    ),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/declare/", views.conflict_add, name="conflict_add"),
    path("conflicts/<int:pk>/end/", views.conflict_end, name="conflict_end"),
    path("conflicts/<int:pk>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"),
    path(
        "<int:pk>/methods/<int:assessment_pk>/hand-in/",
        views.submission_add,
        name="submission_add",
    ),
    path(
        "<int:pk>/methods/<int:assessment_pk>/hand-in/<int:submission_pk>/",
        views.submission_download,
        name="submission_download",
    ),
    path("gateway/", views.gateway_queue, name="gateway_queue"),
    path("gateway/to-confirm/", views.gateway_confirmations, name="gateway_confirmations"),
    path("gateway/<int:pk>/", views.gateway, name="gateway"),
    path("gateway/<int:pk>/start/", views.gateway_start, name="gateway_start"),
    path("gateway/<int:pk>/submit/", views.gateway_submit, name="gateway_submit"),
    path("gateway/<int:pk>/decide/", views.gateway_decide, name="gateway_decide"),
    path(
        "gateway/<int:pk>/items/<int:item_pk>/",
        views.gateway_item_confirm,
        name="gateway_item_confirm",
    ),
    path("gateway/<int:pk>/packs/<int:number>/", views.gateway_pack, name="gateway_pack"),
]

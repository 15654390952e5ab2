from django.urls import path

from reports import views

# Under /epa/, where they have always been (psp.urls).
app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path(
        "reports/portfolio/<int:pk>/",
        views.report_request_portfolio,
        name="report_request_portfolio",
    ),
    path(
        "reports/gateway/<int:pk>/<int:number>/",
        views.report_request_gateway,
        name="report_request_gateway",
    ),
    path("reports/epa/<int:pk>/", views.report_request_epa, name="report_request_epa"),
    path("reports/review/<int:pk>/", views.report_request_review, name="report_request_review"),
    path("reports/cohort/", views.report_request_cohort, name="report_request_cohort"),
]

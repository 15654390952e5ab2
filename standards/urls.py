from django.urls import path, register_converter

from standards import views


class VersionConverter:
    regex = r"\d+\.\d+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ReferenceConverter:
    regex = r"ST\d{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(VersionConverter, "version")
register_converter(ReferenceConverter, "reference")

app_name = "standards"
urlpatterns = [
    path("", views.standard_list, name="standard_list"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_preview, name="import_preview"),
    path("imports/all/<int:pk>/", views.bulk_import_detail, name="bulk_import_detail"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("<reference:reference>/", views.standard_detail, name="standard_detail"),
    path("<reference:reference>/compare/", views.version_compare, name="version_compare"),
    path(
        "<reference:reference>/crosswalk/<version:old>/<version:new>/",
        views.crosswalk,
        name="crosswalk",
    ),
    path("<reference:reference>/<version:version>/", views.version_detail, name="version_detail"),
]

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
    path("<reference:reference>/", views.standard_detail, name="standard_detail"),
    path("<reference:reference>/compare/", views.version_compare, name="version_compare"),
    path("<reference:reference>/<version:version>/", views.version_detail, name="version_detail"),
]

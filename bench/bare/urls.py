from django.urls import path

from bench.bare import views

urlpatterns = [
    path("rows/<int:per_page>/", views.row_list, name="row_list"),
    path("row/<int:pk>/", views.row_detail, name="row_detail"),
]

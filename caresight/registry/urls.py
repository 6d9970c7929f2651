from django.urls import path

from caresight.core.views import import_upload

from . import views

app_name = "registry"
urlpatterns = [
    path("locations/", views.location_list, name="location-list"),
    path("locations/new/", views.location_create, name="location-create"),
    path("locations/<int:pk>/", views.location_detail, name="location-detail"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location-edit"),
    path("locations/<int:pk>/history/", views.location_history, name="location-history"),
    path("providers/new/", views.provider_create, name="provider-create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider-detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider-edit"),
    path("providers/<int:pk>/history/", views.provider_history, name="provider-history"),
    path("localities/", views.locality_list, name="locality-list"),
    path("localities/<int:pk>/history/", views.locality_history, name="locality-history"),
    path("summary/", views.summary, name="summary"),
    path("import/", import_upload, {"kind": "cqc"}, name="import"),
]

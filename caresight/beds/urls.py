from django.urls import path

from caresight.core.views import import_upload

from . import views

app_name = "beds"
urlpatterns = [
    path("", views.occupancy, name="occupancy"),
    path("brokerage/", views.brokerage, name="brokerage"),
    path("placements/", views.placement_list, name="placement-list"),
    path("attention/", views.attention, name="attention"),
    path("stays/", views.stays, name="stays"),
    path("sitrep/", views.sitrep, name="sitrep"),
    path("money/", views.money, name="money"),
    path("money/reconciliation/", views.reconciliation, name="reconciliation"),
    path("claims/new/", views.claim_new, name="claim-new"),
    path("schemes/", views.scheme_list, name="scheme-list"),
    path("schemes/new/", views.scheme_new, name="scheme-new"),
    path("schemes/import/", import_upload, {"kind": "bed-schemes"}, name="import-schemes"),
    path("placements/import/", import_upload, {"kind": "placements"},
         name="import-placements"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme-detail"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("schemes/<int:pk>/capacity/", views.capacity_set, name="capacity-set"),
    path("schemes/<int:pk>/history/", views.scheme_history, name="scheme-history"),
    path("schemes/<int:pk>/place/", views.placement_new, name="placement-new"),
    path("placements/<int:pk>/", views.placement_detail, name="placement-detail"),
    path("placements/<int:pk>/edit/", views.placement_edit, name="placement-edit"),
    path("placements/<int:pk>/discharge/", views.placement_discharge,
         name="placement-discharge"),
    path("placements/<int:pk>/history/", views.placement_history, name="placement-history"),
]

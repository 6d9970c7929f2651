from django.urls import path

from caresight.core.views import import_upload

from . import views

app_name = "outbreaks"
urlpatterns = [
    path("", views.tracker, name="tracker"),
    path("list/", views.outbreak_list, name="list"),
    path("report/", views.report_search, name="report-search"),
    path("import/", import_upload, {"kind": "outbreaks"}, name="import"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/<str:code>/", views.thresholds_edit, name="thresholds-edit"),
    path("locations/<int:pk>/", views.location_outbreaks, name="location"),
    path("locations/<int:pk>/report/", views.outbreak_report, name="report"),
    path("locations/<int:pk>/imt/", views.location_imt_add, name="location-imt-add"),
    path("<int:pk>/", views.outbreak_detail, name="detail"),
    path("<int:pk>/history/", views.outbreak_history, name="history"),
    path("<int:pk>/update/", views.update_add, name="update"),
    path("<int:pk>/updates/<str:on>/", views.update_correct, name="update-correct"),
    path("<int:pk>/status/", views.status_override, name="status"),
    path("<int:pk>/imt/", views.imt_add, name="imt-add"),
    path("<int:pk>/review/", views.learning_review, name="review"),
    path("imt/<int:pk>/", views.imt_detail, name="imt"),
    path("imt/actions/<int:pk>/done/", views.imt_action_done, name="imt-action-done"),
]

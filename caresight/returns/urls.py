from django.urls import path

from caresight.core.views import import_upload

from . import views

app_name = "returns"
urlpatterns = [
    path("", views.summary, name="summary"),
    path("completeness/", views.completeness, name="completeness"),
    path("submit/", views.submit_list, name="submit-list"),
    path("import/", import_upload, {"kind": "returns"}, name="import"),
    path("locations/<int:pk>/", views.location_returns, name="location"),
    path("locations/<int:pk>/new/", views.return_submit, name="submit"),
    path("<int:pk>/", views.return_detail, name="detail"),
    path("<int:pk>/history/", views.return_history, name="history"),
]

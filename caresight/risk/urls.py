from django.urls import path

from . import views

app_name = "risk"
urlpatterns = [
    path("", views.risk_log, name="log"),
    path("priorities/", views.priorities, name="priorities"),
    path("save/", views.log_save, name="save"),
    path("rules/", views.policies, name="policies"),
    path("rules/<str:code>/", views.policy_edit, name="policy-edit"),
    path("locations/<int:pk>/", views.location_risk, name="location"),
    path("locations/<int:pk>/override/", views.override_add, name="override"),
    path("locations/<int:pk>/concerns/new/", views.concern_add, name="concern-add"),
    path("concerns/<int:pk>/close/", views.concern_close, name="concern-close"),
]

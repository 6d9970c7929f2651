from django.urls import path

from caresight.core.views import import_upload

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.index, name="index"),
    path("action-plans/", views.plan_list, name="plan-list"),
    path("action-plans/new/", views.plan_new, name="plan-new"),
    path("action-plans/overdue/", views.overdue, name="overdue"),
    path("action-plans/<int:pk>/", views.plan_detail, name="plan"),
    path("action-plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("action-plans/<int:pk>/history/", views.plan_history, name="plan-history"),
    path("action-plans/<int:pk>/areas/new/", views.area_new, name="area-new"),
    path("action-plans/<int:pk>/actions/new/", views.action_new, name="action-new"),
    path("action-plans/<int:pk>/import/", import_upload, {"kind": "action-plan"},
         name="import"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action-edit"),
    path("actions/<int:pk>/progress/", views.action_progress, name="action-progress"),
    path("actions/<int:pk>/history/", views.action_history, name="action-history"),
    path("winter-plan/", views.winter, name="winter"),
    path("winter-plan/<str:code>/<str:requirement>/", views.winter_response,
         name="winter-response"),
    path("winter-plan/<str:code>/<str:requirement>/evidence/", views.winter_evidence_add,
         name="winter-evidence-add"),
    path("evidence/<int:pk>/", views.winter_evidence, name="winter-evidence"),
]

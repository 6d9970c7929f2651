from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("risks/", views.risk_list, name="risk-list"),
    path("risks/new/", views.risk_new, name="risk-new"),
    path("risks/due/", views.risk_due, name="risk-due"),
    path("risks/<int:pk>/", views.risk_detail, name="risk-detail"),
    path("risks/<int:pk>/edit/", views.risk_edit, name="risk-edit"),
    path("risks/<int:pk>/review/", views.risk_review, name="risk-review"),
    path("risks/<int:pk>/history/", views.risk_history, name="risk-history"),
    path("risks/<int:pk>/mitigations/new/", views.mitigation_new, name="mitigation-new"),
    path("mitigations/<int:pk>/edit/", views.mitigation_edit, name="mitigation-edit"),
    path("decisions/", views.decision_list, name="decision-list"),
    path("decisions/new/", views.decision_new, name="decision-new"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/edit/", views.decision_edit, name="decision-edit"),
    path("decisions/<int:pk>/history/", views.decision_history, name="decision-history"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("cases/<int:pk>/status/", views.case_status, name="case-status"),
    path("cases/<int:pk>/history/", views.case_history, name="case-history"),
]

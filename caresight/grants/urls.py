from django.urls import path

from . import views

app_name = "grants"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_new, name="round-new"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/elements/<int:element>/", views.element_edit, name="element"),
    path("<int:pk>/elements/<int:element>/inputs/", views.element_inputs, name="element-inputs"),
    path("<int:pk>/confirm/", views.allocation_confirm, name="confirm"),
    path("<int:pk>/allocations/", views.allocation_list, name="allocations"),
    path("<int:pk>/letters.<str:fmt>", views.letters_all, name="letters"),
    path("<int:pk>/agreements/", views.agreement_list, name="agreements"),
    path("<int:pk>/agreements/<int:provider>/paper/", views.agreement_paper, name="paper"),
    path("<int:pk>/providers/<int:provider>/", views.provider_page, name="provider"),
    path("<int:pk>/providers/<int:provider>/letter.<str:fmt>", views.letter, name="letter"),
    path("<int:pk>/providers/<int:provider>/spend/", views.spend_submit, name="spend-submit"),
    path("<int:pk>/payments/", views.payment_runs, name="runs"),
    path("<int:pk>/spend/", views.spend_list, name="spend"),
    path("<int:pk>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("<int:pk>/return/", views.government_return, name="return"),
    path("allocations/<int:pk>/adjust/", views.adjustment_add, name="adjust"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/confirm/", views.run_confirm, name="run-confirm"),
    path("runs/<int:pk>/finance.csv", views.run_finance_file, name="run-file"),
    path("payments/<int:pk>/recover/", views.recovery_add, name="recover"),
]

public_urlpatterns = [
    path("", views.published_list, name="published"),
    path("<int:pk>/", views.published_round, name="published-round"),
    path("<int:pk>.<str:fmt>", views.published_round, name="published-file"),
]

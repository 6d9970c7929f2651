from django.urls import path

from . import views

app_name = "workforce"
urlpatterns = [
    path("", views.summary, name="summary"),
    path("teams/new/", views.team_new, name="team-new"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/weeks/new/", views.week_new, name="week-new"),
    path("weeks/<int:pk>/", views.week_edit, name="week-edit"),
    path("weeks/<int:pk>/history/", views.week_history, name="week-history"),
]

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("build/", views.build, name="build"),
    path("publish/", views.publish, name="publish"),
    path("published/", views.published_list, name="published-list"),
    path("published/<int:pk>/", views.published, name="published"),
    path("published/<int:pk>/<str:fmt>/", views.published_file, name="published-file"),
    path("entries/", views.entries, name="entries"),
    path("entries/new/", views.entry_new, name="entry-new"),
    path("entries/<int:pk>/", views.entry_edit, name="entry-edit"),
    path("entries/<int:pk>/history/", views.entry_history, name="entry-history"),
    path("settings/<str:code>/<str:kind>/", views.settings_page, name="settings"),
    path("schedules/<str:code>/", views.schedules, name="schedules"),
    path("schedules/<str:code>/new/", views.schedule_new, name="schedule-new"),
    path("schedule/<int:pk>/", views.schedule_edit, name="schedule-edit"),
    path("schedule/<int:pk>/history/", views.schedule_history, name="schedule-history"),
]

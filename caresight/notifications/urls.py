from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_read, name="read"),
    path("<int:pk>/read/", views.mark_one_read, name="read-one"),
    path("settings/", views.preferences, name="settings"),
]

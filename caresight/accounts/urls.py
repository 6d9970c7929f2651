from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("", views.account, name="account"),
    path("two-factor/", views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/turn-off/", views.two_factor_disable, name="two-factor-disable"),
]

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
    # Administrators manage the people in their authorities.
    path("users/", views.user_list, name="user-list"),
    path("users/invite/", views.user_invite, name="user-invite"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/deactivate/", views.user_set_active, {"active": False},
         name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_set_active, {"active": True},
         name="user-reactivate"),
    path("users/roles/<int:pk>/", views.membership_edit, name="membership-edit"),
    # Links sent by email: an invitation, a forgotten password.
    path("invitation/accept/", views.invitation_accept, name="invitation-accept"),
    path("invitation/<str:token>/", views.invitation_open, name="invitation-open"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password-reset/<str:uidb64>/<str:token>/", views.password_reset_confirm,
         name="password-reset-confirm"),
]

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "caresight.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(signed_in, dispatch_uid="caresight.accounts.signed_in")


def signed_in(sender, request, user, **kwargs) -> None:
    """Start the session's clocks and forget what was worked out for an earlier sign-in."""
    from caresight.core.security import user_signed_in

    from .views import TWO_FACTOR_REQUIRED, TWO_FACTOR_ROLE

    user_signed_in(sender, request, user)
    if request is not None and hasattr(request, "session"):
        request.session.pop(TWO_FACTOR_REQUIRED, None)
        request.session.pop(TWO_FACTOR_ROLE, None)

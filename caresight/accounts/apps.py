from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "caresight.accounts"
    label = "accounts"
    verbose_name = "Accounts"

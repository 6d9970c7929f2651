from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "caresight.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db import models
        from rest_framework import serializers

        from caresight.core import (  # noqa: F401  (they register rules and signal receivers)
            audit,
            tenancy,
        )
        from caresight.core.api import DateField

        # Every date an API client sends is checked against the accepted range.
        serializers.ModelSerializer.serializer_field_mapping[models.DateField] = DateField

"""A custom lint rule, in the spirit of Zulip's: views and API modules never fetch a
tenant-owned record directly (`Model.objects…`, `get_object_or_404(Model, …)`). They go
through `caresight.core.tenancy` (access_<record>, in_scope) or a selector built on it, so
tenancy is decided in one place.
"""

import ast
from pathlib import Path

import pytest

from caresight.core import tenancy

ROOT = Path(__file__).resolve().parents[2]
# Authorities are public reference data (the API lists them to anyone); every other kind in
# the rules belongs to a council or a provider.
TENANT_OWNED = {label.split(".")[1] for label in tenancy.RULES} - {"Authority"}
CHECKED = sorted([*ROOT.glob("*/views.py"), *ROOT.glob("*/api.py")])


def direct_fetches(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    # `Model.objects.none()` fetches nothing (a field's placeholder before its scope is set).
    empty = {id(node.func.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "none"}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
                and isinstance(node.value, ast.Name) and node.value.id in TENANT_OWNED
                and id(node) not in empty):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("get_object_or_404", "get_list_or_404") and node.args
              and isinstance(node.args[0], ast.Name) and node.args[0].id in TENANT_OWNED):
            found.append((node.lineno, f"{node.func.id}({node.args[0].id}, …)"))
    return found


def test_the_rule_sees_what_it_must():
    assert direct_fetches("Outbreak.objects.filter(pk=1)") == [(1, "Outbreak.objects")]
    assert direct_fetches("get_object_or_404(Allocation, pk=1)") == [
        (1, "get_object_or_404(Allocation, …)")]
    assert direct_fetches("tenancy.access_outbreak(user, 1, cap)") == []
    assert direct_fetches("get_object_or_404(round.elements, pk=1)") == []
    assert direct_fetches("Authority.objects.all()") == []
    assert direct_fetches("Location.objects.none()") == []


def test_every_tenant_owned_model_has_a_rule():
    from django.apps import apps

    for model in apps.get_models():
        label = model._meta.label
        fields = {f.name for f in model._meta.get_fields() if f.concrete or f.many_to_many
                  and not f.auto_created}
        owned = {"location", "authority", "round", "outbreak", "meeting", "allocation",
                 "payment", "provider", "plan", "area", "action", "response", "risk",
                 "case", "team", "authorities"} & fields
        if model._meta.app_label in ("registry", "returns", "outbreaks", "risk",
                                     "grants", "plans", "governance", "workforce") and owned:
            if model.__name__.startswith("Historical") or model._meta.auto_created:
                continue
            if label in tenancy.RULES or label in NOT_REACHED_ALONE:
                continue
            pytest.fail(f"{label} belongs to a tenant but has no rule in tenancy.RULES")


# Records only ever read through their parent (never by their own ID from a page or the API).
NOT_REACHED_ALONE = {
    "registry.LocalityArea", "grants.ElementInput", "grants.SpendLine",
    "risk.SavedRating", "risk.InputsVersion",
}


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_views_and_api_fetch_tenant_records_only_through_the_door(path):
    offences = direct_fetches(path.read_text())
    assert offences == [], "\n".join(
        f"{path.relative_to(ROOT.parent)}:{line}: {what}: use caresight.core.tenancy "
        "(access_<record> or in_scope) or a selector" for line, what in offences)

"""The 2020 rounds of the Infection Control Fund, as data a new round is made from.

A template is only a starting point: the round made from it holds its own copy of every
element, instalment, condition and spend category, so a template can change (or a new round
can be made with no template at all) without touching past rounds.
"""

CARE_HOMES = ["care_home", "care_home_nursing"]
COMMUNITY = ["domiciliary", "extra_care", "supported_living"]
WIDER_MARKET = ["domiciliary", "extra_care", "supported_living", "day_service", "other"]

SPEND_CATEGORIES_2020 = [
    {"code": "isolating_residents", "label": "Measures to isolate residents"},
    {"code": "restricting_staff_movement", "label": "Measures to restrict staff movement"},
    {"code": "full_wages_isolating", "label": "Paying staff full wages while isolating"},
    {"code": "other", "label": "Other infection prevention and control"},
]

TEMPLATES: dict[str, dict] = {
    "icf-2020-round-1": {
        "name": "Infection Control Fund 2020, round 1",
        "elements": [
            {"name": "Care homes, per registered bed", "share": "75", "method": "per_bed",
             "service_types": CARE_HOMES, "cqc_registered_only": True, "discretionary": False},
            {"name": "Discretionary, wider care market", "share": "25", "method": "per_person",
             "service_types": COMMUNITY, "cqc_registered_only": False, "discretionary": True},
        ],
        "instalments": [
            {"number": 1, "share": "50", "due_offset_days": 7,
             "conditions": [{"kind": "agreement_signed"}]},
            {"number": 2, "share": "50", "due_offset_days": 60,
             "conditions": [{"kind": "agreement_signed"}, {"kind": "recent_return", "days": 14},
                            {"kind": "spend_return"}]},
        ],
        "spend_categories": SPEND_CATEGORIES_2020,
    },
    "icf-2020-round-2": {
        "name": "Infection Control Fund 2020, round 2",
        "elements": [
            {"name": "Care homes, per registered bed", "share": "56", "method": "per_bed",
             "service_types": CARE_HOMES, "cqc_registered_only": True, "discretionary": False},
            {"name": "Community care, per person supported", "share": "24",
             "method": "per_person", "service_types": COMMUNITY, "cqc_registered_only": True,
             "discretionary": False},
            {"name": "Discretionary, wider care market", "share": "20", "method": "per_person",
             "service_types": WIDER_MARKET, "cqc_registered_only": False, "discretionary": True},
        ],
        "instalments": [
            {"number": 1, "share": "50", "due_offset_days": 7,
             "conditions": [{"kind": "agreement_signed"}, {"kind": "recent_return", "days": 14}]},
            {"number": 2, "share": "50", "due_offset_days": 75,
             "conditions": [{"kind": "agreement_signed"}, {"kind": "recent_return", "days": 14},
                            {"kind": "spend_return"}]},
        ],
        "spend_categories": SPEND_CATEGORIES_2020,
    },
}

TEMPLATE_CHOICES = [(slug, t["name"]) for slug, t in TEMPLATES.items()]

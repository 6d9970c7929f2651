"""The Infection Control Fund's tables, declared once for the pages, every download and the
files other systems read (the finance system's payments file, the published open data).

Money is added up in the selectors (or by the table layer's totals row), always in Decimal;
the pages only show it. Files read by machines keep their documented keys as headers
(docs/data-formats.md); every other file has the people's headers.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from caresight.core.tables import Column, Kind, Link, Table, format_money, format_percent
from caresight.core.timeutils import long_date

from .models import Agreement, PaymentRun, Round

MONEY = Kind.MONEY


def _money(key: str, header: str, **options) -> Column:
    return Column(key, header, kind=MONEY, **options)


def _provider_url(round: Round):
    return lambda row: reverse("grants:provider", args=[round.pk, row["provider_id"]])


def _action(key: str, header: str, text: str, url, hidden) -> Column:
    """A page-only column of one link a row (blank where `url` gives None); `hidden` says
    for screen readers what the link is for ("Adjust" … "the allocation to Oak Lodge")."""
    return Column(key, header, value=lambda row: text if url(row) else "", link=url,
                  hidden=lambda row: f" {hidden(row)}" if url(row) else "", empty="",
                  header_hidden=True, download=False)


# --- Rounds --------------------------------------------------------------------------------

def rounds_table(rounds: list[Round]) -> Table:
    """The rounds a user can see: an officer's link to the round and its allocation; a
    provider user's links to their own providers' pages in it (`round.officer`,
    `round.own_providers`, set by the view)."""
    columns = [
        Column("name", "Round",
               link=lambda r: reverse("grants:round", args=[r.pk]) if r.officer else None,
               links=lambda r: [] if r.officer else [
                   Link(p.name, reverse("grants:provider", args=[r.pk, p.pk]))
                   for p in r.own_providers]),
        Column("authority", "Authority", value="authority.name"),
        Column("eligibility_date", "Eligibility date", kind=Kind.DATE),
        _money("amount", "Allocation", value=lambda r: r.amount if r.officer else None,
               empty=""),
        Column("status", "Status",
               value=lambda r: "Allocation confirmed" if r.is_confirmed else "What-if",
               tag_colour=lambda text: "green" if text == "Allocation confirmed" else "yellow"),
    ]
    return Table(columns=columns, rows=rounds, title="Rounds", testid="rounds",
                 empty_message="No rounds yet.")


# --- The what-if allocation: element by element, service by service -------------------------

def plan_elements_table(plan) -> Table:
    columns = [
        Column("name", "Element", value="spec.name", row_header=True),
        _money("total", "Total", total=True),
        Column("services", "Services", kind=Kind.WHOLE, value=lambda e: len(e.lines),
               total=True),
        Column("units", "Units", kind=Kind.NUMBER),
        _money("rate", "Rate"),
        _money("allocated", "Allocated", total=True),
    ]
    return Table(columns=columns, rows=plan.elements, title="By element",
                 testid="plan-elements")


def plan_lines_table(element) -> Table:
    """One element's services and what each gets, then those it leaves out and why."""
    rows = [{"name": line.name, "cqc_location_id": line.cqc_location_id,
             "provider": line.provider_name, "explanation": line.explanation,
             "amount": line.amount} for line in element.lines]
    rows += [{"name": name, "cqc_location_id": "", "provider": "", "explanation": why,
              "amount": Decimal("0.00")} for name, why in element.not_allocated]
    columns = [
        Column("name", "Service", hint=lambda row: row["cqc_location_id"] or None),
        Column("provider", "Provider", empty=""),
        Column("explanation", "How"),
        _money("amount", "Amount", total=True),
    ]
    return Table(columns=columns, rows=rows, title=element.spec.name, caption_size="s")


def elements_table(round: Round, elements, *, can_change: bool) -> Table:
    columns = [
        Column("name", "Element",
               hint=lambda e: "Discretionary" if e.discretionary else None),
        Column("share", "Share", kind=Kind.PERCENT, places=-2),
        Column("method", "How", value="get_method_display"),
        Column("service_types", "Service types", value="service_type_labels"),
        _money("retained", "Contingency kept"),
    ]
    if can_change:
        columns += [
            _action("change", "Change", "Change",
                    lambda e: reverse("grants:element", args=[round.pk, e.pk]),
                    lambda e: e.name),
            _action("inputs", "Units or awards", "Units or awards",
                    lambda e: reverse("grants:element-inputs", args=[round.pk, e.pk]),
                    lambda e: f"for {e.name}"),
        ]
    return Table(columns=columns, rows=elements, title="Elements", testid="elements")


def _condition_text(condition: dict) -> str:
    if condition["kind"] == "agreement_signed":
        return "the agreement is signed"
    if condition["kind"] == "recent_return":
        return f"a Capacity Tracker return within the last {condition['days']} days"
    return "a spend return is in"


def instalments_table(instalments) -> Table:
    columns = [
        Column("number", "Instalment", kind=Kind.WHOLE),
        Column("share", "Share", kind=Kind.PERCENT, places=-2),
        Column("due_on", "Due", kind=Kind.DATE),
        Column("conditions", "Paid only where",
               value=lambda i: "; ".join(_condition_text(c) for c in i.conditions)
               or "no conditions"),
    ]
    return Table(columns=columns, rows=instalments, title="Instalments and conditions",
                 testid="instalments")


# --- Allocations and agreements --------------------------------------------------------------

def allocations_table(round: Round, allocations: list, *, can_manage: bool) -> Table:
    """Every allocation of a round, as confirmed, with its adjustments (page and download)."""
    columns = [
        Column("cqc_location_id", "CQC location ID", value="location.cqc_location_id",
               page=False),
        Column("location", "Service", value="location.name",
               hint=lambda a: a.location.cqc_location_id or None),
        Column("provider", "Provider", value="provider.name",
               link=lambda a: reverse("grants:provider", args=[round.pk, a.provider_id])),
        Column("element", "Element", value="element.name"),
        Column("units", "Units", kind=Kind.NUMBER, page=False),
        Column("explanation", "How it was worked out"),
        _money("amount", "Amount", total=True),
        _money("adjusted", "Adjustments", value="adjusted_total", page=False),
        Column("adjustments", "Adjustments", bullets=True, empty="", download=False,
               value=lambda a: [f"{format_money(x.amount)}: {x.reason}"
                                for x in a.adjustments.all()]),
    ]
    if can_manage:
        columns.append(_action("adjust", "Adjust", "Adjust",
                               lambda a: reverse("grants:adjust", args=[a.pk]),
                               lambda a: f"the allocation to {a.location.name}"))
    return Table(columns=columns, rows=allocations, title="Allocations",
                 caption=f"{len(allocations)} allocations, as confirmed",
                 testid="allocations", empty_message="No allocations.")


ANSWER_TAGS = {Agreement.Decision.ACCEPTED: "green", Agreement.Decision.DECLINED: "red",
               "waiting": "grey"}


def agreements_table(round: Round, rows: list[dict], *, can_manage: bool) -> Table:
    """Each provider with an allocation and its answer; rows are {provider, agreement}."""
    def signed_by(row):
        a = row["agreement"]
        return (f"{a.signed_name}, {a.signed_role}, {long_date(a.responded_on)} "
                f"({a.method_in_words})") if a else ""

    columns = [
        Column("provider", "Provider", value="provider.name",
               link=lambda row: reverse("grants:provider", args=[round.pk, row["provider"].pk])),
        Column("answer", "Answer",
               value=lambda row: row["agreement"].decision if row["agreement"] else "waiting",
               choices={**dict(Agreement.Decision.choices), "waiting": "Waiting"},
               tag_colour=ANSWER_TAGS.get),
        Column("signed_by", "Signed by", value=signed_by, empty=""),
    ]
    if can_manage:
        columns.append(_action(
            "paper", "Paper agreement", "Record a paper agreement",
            lambda row: None if row["agreement"] and row["agreement"].decision
            == Agreement.Decision.ACCEPTED else reverse("grants:paper", args=[
                round.pk, row["provider"].pk]),
            lambda row: f"from {row['provider'].name}"))
    return Table(columns=columns, rows=rows, title="Providers with an allocation",
                 testid="agreements")


# --- A provider's page -----------------------------------------------------------------------

def provider_allocations_table(allocations: list, balance: dict, *, officer: bool) -> Table:
    """A provider's allocations; the total is the selector's, adjustments included."""
    columns = [
        Column("service", "Service", value="location.name", hint=lambda a: a.element.name),
        Column("explanation", "How it was worked out",
               hint=lambda a: " ".join(f"Adjusted by {format_money(x.amount)}: {x.reason}"
                                       for x in a.adjustments.all()) or None),
        _money("amount", "Amount", total=lambda rows: balance["total_allocated"]),
    ]
    adjusted = " (after adjustments)" if balance["adjusted"] else ""
    return Table(columns=columns, rows=allocations,
                 title="Allocation" if officer else "Your allocation",
                 totals_label=f"Total allocated{adjusted}", testid="provider-allocations")


def provider_payments_table(payments: list, *, can_recover: bool) -> Table:
    columns = [
        Column("instalment", "Instalment", kind=Kind.WHOLE, value="instalment.number"),
        Column("service", "Service", value="allocation.location.name"),
        Column("paid_on", "Paid", kind=Kind.DATE, value="created_at"),
        _money("amount", "Amount", total=True),
        Column("recovered", "Recovered", bullets=True, empty="",
               value=lambda p: [f"{format_money(r.amount)} on {long_date(r.recovered_on)}: "
                                f"{r.reason}" for r in p.recoveries.all()]),
    ]
    if can_recover:
        columns.append(_action("recover", "Recovery", "Record a recovery",
                               lambda p: reverse("grants:recover", args=[p.pk]),
                               lambda p: f"from the payment for {p.allocation.location.name}"))
    return Table(columns=columns, rows=payments, title="Payments", testid="payments",
                 empty_message="Nothing paid yet.")


# --- Payments --------------------------------------------------------------------------------

def payment_runs_table(runs: list[PaymentRun]) -> Table:
    columns = [
        Column("run", "Run", value=lambda r: f"Run {r.pk}",
               link=lambda r: reverse("grants:run", args=[r.pk])),
        Column("instalment", "Instalment", value=lambda r: str(r.instalment)),
        Column("as_of", "Conditions checked on", kind=Kind.DATE),
        Column("status", "Status",
               value=lambda r: f"Confirmed {long_date(timezone.localdate(r.confirmed_at))}"
               if r.is_confirmed else "Not confirmed",
               tag_colour=lambda text: "yellow" if text == "Not confirmed" else "green"),
    ]
    return Table(columns=columns, rows=runs, title="Payment runs", testid="runs",
                 empty_message="No payment runs yet.")


def run_lines_table(lines: list, *, title: str, testid: str, kind: str) -> Table:
    """A payment run's lines: `kind` "due", "withheld" (with why) or "already" (with the run
    that paid them)."""
    columns = [
        Column("provider", "Provider", value="provider_name"),
        Column("service", "Service", value="location_name",
               hint=lambda line: line.element_name or None),
        _money("amount", "Amount", total=kind != "already"),
    ]
    if kind == "withheld":
        columns.append(Column("why", "Why", value=lambda line: " ".join(line.reasons)))
    if kind == "already":
        columns.append(Column("run", "Run", value=lambda line: f"Run {line.paid_in_run}",
                              link=lambda line: reverse("grants:run",
                                                        args=[line.paid_in_run])))
    return Table(columns=columns, rows=lines, title=f"{title} ({len(lines)})", testid=testid,
                 empty_message="None.")


def finance_file_table(rows: list[dict]) -> Table:
    """The payments file for the finance system: its documented columns and keys as headers,
    unchanged (a finance system reads it), every text cell made safe from formulas."""
    columns = [
        Column("payment_reference", "Payment reference"),
        Column("provider", "Provider"),
        Column("cqc_provider_id", "CQC provider ID"),
        _money("amount", "Amount"),
        Column("services", "Services", kind=Kind.WHOLE),
        Column("round", "Round"),
        Column("instalment", "Instalment", kind=Kind.WHOLE),
        Column("payment_run", "Payment run", kind=Kind.WHOLE),
    ]
    return Table(columns=columns, rows=rows, title="Payments", key_headers=True,
                 csv_bom=False)


# --- Spend, reconciliation and the return to government ------------------------------------

def spend_by_category_table(rows: list[dict]) -> Table:
    columns = [
        Column("label", "Category"),
        _money("amount", "Spent", total=True),
        Column("proportion_pct", "Proportion", kind=Kind.PERCENT, places=0),
    ]
    return Table(columns=columns, rows=rows, title="Spend by category", testid="by-category")


def spend_outstanding_table(rows: list[dict]) -> Table:
    """Providers paid with no spend return yet, and whom to chase (page and download)."""
    columns = [
        Column("provider", "Provider"),
        Column("cqc_provider_id", "CQC provider ID", page=False),
        _money("paid", "Paid", total=True),
        Column("contact_details", "Contact", download=False, empty="",
               value=lambda row: " ".join(v for v in (row["contact"], row["phone"],
                                                      row["email"]) if v)),
        Column("contact", "Contact", page=False),
        Column("phone", "Phone", page=False),
        Column("email", "Email", page=False),
    ]
    return Table(columns=columns, rows=rows, title="Spend returns to chase",
                 caption="Providers to chase", caption_size="s", caption_hidden=True,
                 testid="outstanding",
                 empty_message="None: every provider paid has sent a spend return.")


def spend_received_table(round: Round, rows: list[dict]) -> Table:
    """The spend returns received; rows are {provider_id, provider, amounts, submitted_at}."""
    columns = [Column("provider", "Provider", link=_provider_url(round))]
    for code, label in round.category_labels().items():
        columns.append(_money(code, label, value=lambda row, c=code: row["amounts"].get(c),
                              total=True))
    columns.append(Column("submitted_at", "Sent", kind=Kind.DATE))
    return Table(columns=columns, rows=rows, title=f"Received ({len(rows)})",
                 testid="returns", empty_message="None yet.")


RECONCILIATION_MONEY = [("allocated", "Allocated"), ("adjusted", "Adjusted"), ("paid", "Paid"),
                        ("recovered", "Recovered"), ("spent", "Spent"),
                        ("unspent", "Unspent"), ("still_to_pay", "Still to pay")]


def reconciliation_table(round: Round, recon: dict) -> Table:
    """Per provider and in total (the selector's totals, in the files too)."""
    columns = [
        Column("provider", "Provider", link=_provider_url(round)),
        Column("cqc_provider_id", "CQC provider ID", page=False),
        *[_money(key, header, total=lambda rows, k=key: recon["totals"][k])
          for key, header in RECONCILIATION_MONEY],
    ]
    return Table(columns=columns, rows=recon["rows"], title="Reconciliation",
                 caption="Per provider", testid="reconciliation", totals_testid="totals",
                 download_totals=True)


def return_elements_table(report: dict) -> Table:
    columns = [
        Column("name", "Element", value=lambda e: f"{e['name']} ({_share(e['share'])})"),
        _money("allocated", "Allocated", total=True),
        Column("providers", "Providers", kind=Kind.WHOLE),
        Column("services", "Services", kind=Kind.WHOLE, total=True),
    ]
    return Table(columns=columns, rows=report["elements"], title="Allocations by element",
                 testid="return-elements")


def return_instalments_table(report: dict) -> Table:
    columns = [
        Column("number", "Instalment", kind=Kind.WHOLE,
               hint=lambda i: f"due {long_date(i['due_on'])}"),
        _money("paid", "Paid", total=True),
        Column("providers_paid", "Providers paid", kind=Kind.WHOLE),
    ]
    return Table(columns=columns, rows=report["instalments"], title="Payments by instalment",
                 testid="return-instalments")


def return_spend_table(report: dict) -> Table:
    columns = [
        Column("label", "Measure"),
        _money("amount", "Spent", total=True),
        Column("proportion_pct", "Proportion of funding spent", kind=Kind.PERCENT, places=0),
    ]
    return Table(columns=columns, rows=report["spend"], title="What providers spent it on",
                 testid="return-spend")


def _share(share: Decimal) -> str:
    """75% or 12.5%."""
    return format_percent(share, -2)


def government_return_table(report: dict) -> Table:
    """The return to government as one sheet: a row for each figure, in sections."""
    money_items = [("amount", "Allocation received"), ("allocated", "Allocated to providers"),
                   ("adjusted", "Adjustments"), ("paid", "Paid to providers"),
                   ("recovered", "Recovered"), ("spent", "Spent (reported)"),
                   ("unspent", "Unspent")]
    count_items = [("providers_allocated", "Providers allocated funding"),
                   ("providers_paid", "Providers paid"),
                   ("services_allocated", "Services allocated"),
                   ("spend_returns_received", "Spend returns received")]
    rows: list[dict] = [
        {"section": "Round", "item": "Name", "detail": report["name"]},
        {"section": "Round", "item": "Authority",
         "detail": f"{report['authority_name']} ({report['authority']})"},
        {"section": "Round", "item": "Eligibility date",
         "detail": long_date(report["eligibility_date"])},
        *[{"section": "Round", "item": label, "amount": report[key]}
          for key, label in money_items],
        *[{"section": "Round", "item": label, "number": report[key]}
          for key, label in count_items],
        *[{"section": "Element", "item": f"{e['name']} ({_share(e['share'])})",
           "amount": e["allocated"], "number": e["services"]} for e in report["elements"]],
        *[{"section": "Instalment", "item": f"Instalment {i['number']} paid",
           "amount": i["paid"], "number": i["providers_paid"]} for i in report["instalments"]],
        *[{"section": "Spend", "item": s["label"], "amount": s["amount"],
           "proportion_pct": s["proportion_pct"]} for s in report["spend"]],
    ]
    columns = [
        Column("section", "Section"),
        Column("item", "Item"),
        Column("detail", "Detail"),
        _money("amount", "Amount"),
        Column("number", "Number", kind=Kind.WHOLE),
        Column("proportion_pct", "Proportion of spend", kind=Kind.PERCENT, places=0),
    ]
    return Table(columns=columns, rows=rows, title="Return to government")


# --- Published allocations (open data) -------------------------------------------------------

def published_rounds_table(rounds) -> Table:
    """The rounds published as open data, each with its page and files."""
    def files(round: Round) -> list[Link]:
        about = f" of {round.name}, {round.authority.name}"
        return [Link(label, reverse("published:published-file", args=[round.pk, fmt]), about)
                for fmt, label in (("csv", "CSV"), ("json", "JSON"))]

    columns = [
        Column("authority", "Council", value="authority.name"),
        Column("name", "Round",
               link=lambda r: reverse("published:published-round", args=[r.pk])),
        Column("files", "Open data", value=lambda r: "", empty="", links=files,
               links_inline=True),
    ]
    return Table(columns=columns, rows=rounds, title="Published rounds", testid="published",
                 empty_message="Nothing published yet.")


def open_data_table(rows: Iterable[dict]) -> Table:
    """Allocations per provider as published: the documented keys as the CSV's headers (people
    and programs re-use the file), every text cell made safe from formulas."""
    columns = [
        Column("authority", "Authority", page=False),
        Column("authority_code", "Authority code", page=False),
        Column("round", "Round", page=False),
        Column("provider", "Provider"),
        Column("cqc_provider_id", "CQC provider ID"),
        Column("services", "Services", kind=Kind.WHOLE, total=True),
        _money("allocated", "Allocated", total=True),
        _money("paid", "Paid", total=True),
    ]
    return Table(columns=columns, rows=rows, title="Allocations",
                 caption="Allocations per provider", testid="open-data",
                 key_headers=True, csv_bom=False)

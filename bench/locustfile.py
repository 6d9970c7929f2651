"""The officers of bench/load.py: locust users who sign in and work through Caresight's pages.

bench/load.py starts gunicorn on a fresh database and runs this file with locust, giving it in
the environment:

- LOAD_ACCOUNTS: a JSON file, a list of {"email", "role", "group"}: the accounts to sign in
  with, "browse" (officers reading pages), "submit" (officers making returns) or "import";
- LOAD_PASSWORD: their password;
- LOAD_IMPORT_FILES: a JSON file, a list of Capacity Tracker exports (paths) to upload in turn;
- LOAD_SUBMIT_UNTIL: when the submitters stop starting returns (seconds since the epoch).

Three kinds of user:

- Officer: signs in, then reads pages a few seconds apart: the dashboard, the register (list,
  search, filters, a service), the returns summary and who has returned, the outbreak tracker,
  the risk log and priorities, and the grants pages, as far as the role may see them.
- Submitter: signs in, then submits a return every few seconds through the returns form for
  a service it may submit for (the answers the form starts from, the hours of overtime
  changed, a number left blank answered 0 and a question left unchosen its first choice), and
  reads the page it is sent back to; in the run's last 45 s it submits no more.
- Importer (one): uploads a Capacity Tracker care home export, waits for the preview, confirms
  it, waits for the import to finish, and starts again after a pause.

Every request is named by its page, so locust's statistics are per page; the import's two
waits are recorded as "import: upload to preview" and "import: confirm to done".
"""

import json
import os
import random
import re
import time
from html.parser import HTMLParser
from itertools import count
from pathlib import Path

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
JOB_POLL_SECONDS = 2  # as often as the job page refreshes itself
JOB_TIMEOUT_SECONDS = 300
# No return is started after this time (seconds since the epoch), so that none is in flight
# when locust stops the users and bench/load.py can count every one saved.
SUBMIT_UNTIL = float(os.environ.get("LOAD_SUBMIT_UNTIL") or "inf")


def _accounts() -> dict[str, list[dict]]:
    path = os.environ.get("LOAD_ACCOUNTS")
    if not path:
        return {}
    groups: dict[str, list[dict]] = {}
    for account in json.loads(Path(path).read_text("utf-8")):
        groups.setdefault(account["group"], []).append(account)
    return groups


ACCOUNTS = _accounts()
IMPORT_FILES = ([Path(p) for p in json.loads(Path(os.environ["LOAD_IMPORT_FILES"]).read_text())]
                if os.environ.get("LOAD_IMPORT_FILES") else [])
_taken = {group: count() for group in ACCOUNTS}


def take_account(group: str) -> dict:
    """The next account of `group`; when all are in use, the first again (a second tab)."""
    accounts = ACCOUNTS.get(group)
    if not accounts:
        raise RuntimeError(f"No {group!r} accounts in LOAD_ACCOUNTS.")
    return accounts[next(_taken[group]) % len(accounts)]


# --- Reading pages ---------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page, each as its action, method, the fields a browser would send, the
    first choice of each group of radios and the names of the number fields."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "fields": [], "radios": {}, "numbers": set()})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if kind == "radio":
                    self.forms[-1]["radios"].setdefault(name, a.get("value", "on"))
                if "checked" in a:
                    fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                fields.append((name, a.get("value", "")))
                if a.get("inputmode") in ("numeric", "decimal"):
                    self.forms[-1]["numbers"].add(name)
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            name, text = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.forms[-1]["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def post_form(html: str) -> dict:
    """The page's form that posts to itself (its main form, not the sign-out button's)."""
    for form in page_forms(html):
        if form["method"].lower() == "post" and form["action"] in ("", "."):
            return form
    raise ValueError("The page has no form of its own.")


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not found:
        raise ValueError("The page has no CSRF token.")
    return found.group(1)


def links(html: str, pattern: str) -> list[str]:
    """The distinct links of the page that match `pattern` (a regular expression)."""
    return sorted(set(re.findall(rf'href="({pattern})"', html)))


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return found.group(1).strip() if found else ""


# --- Users ------------------------------------------------------------------------------------


class CaresightUser(HttpUser):
    """Signs in with the next account of its group, and fetches the pages' static files once
    (a browser keeps them)."""

    abstract = True
    group = ""

    def on_start(self) -> None:
        self.account = take_account(self.group)
        self.role = self.account["role"]
        page = self.client.get("/accounts/sign-in/", name="sign-in page")
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
            self.client.get(asset, name="static file")
        with self.client.post(
            "/accounts/sign-in/", name="sign in", allow_redirects=False, catch_response=True,
            data={"csrfmiddlewaretoken": csrf_token(page.text), "email": self.account["email"],
                  "password": PASSWORD},
        ) as response:
            if response.status_code != 302:
                response.failure(f"{self.account['email']} was not signed in "
                                 f"({response.status_code}: {title(response.text)})")
                raise RuntimeError("sign-in failed")

    def get(self, path: str, name: str):
        """GET a page that must answer 200 (a redirect to the sign-in page is a failure)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code == 200 and "/accounts/sign-in/" in response.url:
                response.failure(f"{path} sent {self.account['email']} to the sign-in page")
            return response


# Pages an officer reads: (name, path or a method's name, weight, roles that may see it).
EVERYONE = {"admin", "commissioner", "quality_officer", "public_health", "finance", "brokerage"}
OUTBREAK_ROLES = EVERYONE - {"finance"}
GRANT_ROLES = {"admin", "commissioner", "finance"}
PAGES = [
    ("dashboard", "/", 4, EVERYONE),
    ("register list", "/register/locations/", 4, EVERYONE),
    ("register list, page 2", "/register/locations/?page=2", 1, EVERYONE),
    ("register list, search", "register_search", 2, EVERYONE),
    ("register list, nursing homes in Peterborough",
     "/register/locations/?service_type=care_home_nursing&authority=E06000031", 1, EVERYONE),
    ("service page", "service_page", 3, EVERYONE),
    ("register summary", "/register/summary/", 1, EVERYONE),
    ("returns summary", "/returns/", 4, EVERYONE),
    ("returns summary, Peterborough", "/returns/?authority=E06000031", 1, EVERYONE),
    ("returns completeness", "/returns/completeness/", 2, EVERYONE),
    ("outbreak tracker", "/outbreaks/", 4, OUTBREAK_ROLES),
    ("outbreak list", "/outbreaks/list/", 1, OUTBREAK_ROLES),
    ("risk log", "/risk/", 4, OUTBREAK_ROLES),
    ("risk log, red", "/risk/?rating=red", 1, OUTBREAK_ROLES),
    ("risk priorities", "/risk/priorities/", 2, OUTBREAK_ROLES),
    ("grants: rounds", "/grants/", 2, GRANT_ROLES),
    ("grants: round page", "grant_page", 4, GRANT_ROLES),
]
GRANT_PAGES = [("round", ""), ("allocations", "allocations/"), ("agreements", "agreements/"),
               ("payments", "payments/"), ("spend", "spend/"),
               ("reconciliation", "reconciliation/"), ("government return", "return/")]
SEARCH_WORDS = ["care", "house", "lodge", "court", "home", "nursing", "manor", "PE1", "CB"]


class Officer(CaresightUser):
    """An officer reading pages, a few seconds apart."""

    group = "browse"
    weight = 9
    wait_time = between(2, 6)

    def on_start(self) -> None:
        super().on_start()
        self.pages = [p for p in PAGES if self.role in p[3]]
        self.weights = [p[2] for p in self.pages]
        self.services: list[str] = []
        self.rounds: list[str] = []

    @task
    def read_a_page(self) -> None:
        name, target, _, _ = random.choices(self.pages, weights=self.weights)[0]
        if target.startswith("/"):
            self.get(target, name)
        else:
            getattr(self, target)(name)

    def register_search(self, name: str) -> None:
        self.get(f"/register/locations/?q={random.choice(SEARCH_WORDS)}", name)

    def service_page(self, name: str) -> None:
        if not self.services:
            page = self.get("/register/locations/", "register list")
            self.services = links(page.text, r"/register/locations/\d+/")
        if self.services:
            self.get(random.choice(self.services), name)

    def grant_page(self, name: str) -> None:
        if not self.rounds:
            page = self.get("/grants/", "grants: rounds")
            self.rounds = links(page.text, r"/grants/\d+/")
        if self.rounds:
            label, suffix = random.choice(GRANT_PAGES)
            self.get(random.choice(self.rounds) + suffix, f"grants: {label}")


class Submitter(CaresightUser):
    """An officer submitting returns for services, every few seconds."""

    group = "submit"
    weight = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        super().on_start()
        page = self.get("/returns/submit/", "returns: services to submit for")
        self.forms = links(page.text, r"/returns/locations/\d+/new/")
        if not self.forms:
            raise RuntimeError(f"{self.account['email']} has no service to submit for")

    @task
    def submit_a_return(self) -> None:
        if time.time() > SUBMIT_UNTIL:
            return
        form_url = random.choice(self.forms)
        page = self.get(form_url, "returns: the form")
        if page.status_code != 200:
            return
        form = post_form(page.text)
        fields = form["fields"]
        for i, (field, value) in enumerate(fields):
            if field == "hours_overtime":  # a different answer each time, within its bounds
                fields[i] = (field, str(random.randint(0, 40)))
            elif value == "" and field in form["numbers"]:
                # The form starts from the last return; one imported from the tracker leaves
                # the questions the tracker does not ask for the officer to answer.
                fields[i] = (field, "0")
        answered = {field for field, _ in fields}
        fields += [(name, first) for name, first in form["radios"].items()
                   if name not in answered]
        with self.client.post(form_url, data=fields, name="returns: submit",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"the return was not saved ({response.status_code}): "
                                 f"{_error_summary(response.text)}")
                return
            back = response.headers["Location"]
        self.get(back, "returns: a service's returns")


class Importer(CaresightUser):
    """One officer importing Capacity Tracker exports one after another."""

    group = "import"
    fixed_count = 1
    wait_time = between(20, 40)

    def on_start(self) -> None:
        super().on_start()
        if not IMPORT_FILES:
            raise RuntimeError("No files to import in LOAD_IMPORT_FILES.")
        self.next_file = count()

    @task
    def import_a_file(self) -> None:
        path = IMPORT_FILES[next(self.next_file) % len(IMPORT_FILES)]
        page = self.get("/returns/import/", "import: upload page")
        started = time.perf_counter()
        with self.client.post(
            "/returns/import/", name="import: upload", allow_redirects=False,
            catch_response=True, data={"csrfmiddlewaretoken": csrf_token(page.text)},
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        ) as response:
            if response.status_code != 302:
                response.failure(f"{path.name} was not taken ({response.status_code}): "
                                 f"{_error_summary(response.text)}")
                return
            job_url = response.headers["Location"]
        job = self._wait(job_url, started, "import: upload to preview", "previewed")
        if job is None:
            return
        started = time.perf_counter()
        with self.client.post(
            job_url + "confirm/", name="import: confirm", allow_redirects=False,
            catch_response=True, data={"csrfmiddlewaretoken": csrf_token(job)},
        ) as response:
            if response.status_code != 302:
                response.failure(f"the import of {path.name} was not confirmed "
                                 f"({response.status_code})")
                return
        self._wait(job_url, started, "import: confirm to done", "done")

    def _wait(self, job_url: str, started: float, name: str, status: str) -> str | None:
        """Poll the job page until the job reaches `status`; record the wait as `name`."""
        while True:
            page = self.get(job_url, "import: job page")
            state = title(page.text)
            problem = None
            if state.startswith("Import failed"):
                problem = f"{job_url} failed: {_summary(page.text)}"
            elif status == "previewed" and state.startswith("Import ready"):
                if "Confirm and import" in page.text:
                    self._record(name, started, None)
                    return page.text
                problem = f"{job_url}: nothing to confirm: {_summary(page.text)}"
            elif status == "done" and state.startswith("Import done"):
                self._record(name, started, None)
                return page.text
            if problem:
                self._record(name, started, problem)
                return None
            if time.perf_counter() - started > JOB_TIMEOUT_SECONDS:
                self._record(name, started, f"{job_url} still {state!r} after "
                             f"{JOB_TIMEOUT_SECONDS} s")
                return None
            time.sleep(JOB_POLL_SECONDS)

    def _record(self, name: str, started: float, problem: str | None) -> None:
        events.request.fire(
            request_type="JOB", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=RuntimeError(problem) if problem else None,
            context={})


def _error_summary(html: str) -> str:
    found = re.search(r'class="govuk-error-summary__body">(.*?)</div>', html, re.S)
    text = found.group(1) if found else title(html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()[:300]


def _summary(html: str) -> str:
    found = re.search(r'data-testid="import-summary">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else _error_summary(html)

"""The OpenAPI schema against the API it documents: schemathesis generates requests from the
schema (valid and invalid) and sends them to a live test server over the demo area, signed in
as three kinds of user. Every answer must be documented, match its documented schema, and
never be a server error.

Bounded (a small number of examples per operation, a time budget per user), and not part of
the default run: `make schemathesis` (or `pytest -m schemathesis tests/api`).
"""

import os
import shutil
import subprocess  # nosec B404: runs the schemathesis CLI installed beside pytest
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.schemathesis

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8")
MAX_SECONDS_PER_USER = os.environ.get("SCHEMATHESIS_MAX_SECONDS", "45")
USERS = ["commissioner@demo.caresight.test", "quality-officer@demo.caresight.test",
         "provider-user@demo.caresight.test"]


def _st() -> str:
    found = Path(sys.executable).with_name("st")
    path = str(found) if found.exists() else shutil.which("st")
    if not path:
        pytest.fail("schemathesis is not installed: pip install -e '.[test]'")
    return path


def test_the_api_answers_as_its_schema_says(live_server, transactional_db, tmp_path):
    # One demo area for every user: a transactional test empties the database afterwards.
    from caresight.accounts.services import token_create
    from caresight.demo.demo import demo_load

    demo_load()
    problems = []
    for email in USERS:
        token = token_create(email=email).key
        result = subprocess.run(  # nosec B603: fixed arguments
            [_st(), "run", f"{live_server.url}/api/schema/",
             "-H", f"Authorization: Token {token}", "--checks", CHECKS,
             "--max-examples", MAX_EXAMPLES, "--max-time", MAX_SECONDS_PER_USER,
             "--mode", "all", "--no-shrink", "--workers", "1", "--seed", "2020",
             "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=int(MAX_SECONDS_PER_USER) * 3,
            check=False, cwd=tmp_path)  # its cache (.schemathesis/) goes with the run
        if result.returncode != 0:
            problems.append(f"--- as {email}:\n{result.stdout[-6000:]}")
    assert not problems, "schemathesis found problems:\n" + "\n".join(problems)

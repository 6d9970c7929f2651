"""The outbreak tests' officer and care home, for the risk tests too."""

from caresight.outbreaks.tests.conftest import home, officer  # noqa: F401 (fixtures)

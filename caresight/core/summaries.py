"""The summaries behind `caresight summary WHAT`: each app registers its own.

An app registers a `Summary` from its `AppConfig.ready()`; the `summary` command gives each one
a subcommand with the arguments it declares, runs it and prints its text or its JSON.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    name: str  # the subcommand: `caresight summary NAME`
    help: str
    add_arguments: Callable[[Any], None]  # given the subcommand's parser
    # run(**options) -> (what --format json prints, the lines --format text prints); refuses
    # with CommandError (or a ValidationError, whose messages are printed)
    run: Callable[..., tuple[Any, list[str]]]


SUMMARIES: dict[str, Summary] = {}


def register_summary(summary: Summary) -> None:
    if summary.name in SUMMARIES and SUMMARIES[summary.name] != summary:
        raise ValueError(f"Two summaries are called {summary.name!r}.")
    SUMMARIES[summary.name] = summary

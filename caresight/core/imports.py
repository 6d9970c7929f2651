"""What every import returns, and which service runs each kind of import."""

import gc
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from caresight.core.files import RowError

# kind -> service with signature (*, data, file_name, user, dry_run, progress) -> ImportResult
IMPORTERS: dict[str, str] = {
    "cqc": "caresight.registry.services.cqc_import",
    "returns": "caresight.returns.services.capacity_tracker_import",
    "outbreaks": "caresight.outbreaks.services.outbreaks_import",
}
IMPORT_LABELS = {"cqc": "CQC locations", "returns": "Capacity Tracker returns",
                 "outbreaks": "public health line lists of outbreaks"}


@dataclass
class ImportResult:
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    dry_run: bool = True
    error_limit: int = 500

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error

    def summary(self) -> str:
        if self.file_error:
            return self.file_error
        if self.errors:
            problems = len(self.errors)
            return (f"{problems} problem{'' if problems == 1 else 's'} found in {self.rows} "
                    f"row{'' if self.rows == 1 else 's'}; nothing was imported. Correct the "
                    "file and try again.")
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items()
                           if n or "(left alone)" not in name)
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        if self.dry_run:
            return f"{rows} checked: {counts}. Nothing has been written yet."
        return f"{rows} imported: {counts}."

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "counts": self.counts,
            "errors": [e.as_dict() for e in self.errors[: self.error_limit]],
            "error_count": len(self.errors),
            "file_error": self.file_error,
            "dry_run": self.dry_run,
            "summary": self.summary(),
        }


def run_import(kind: str, **kwargs) -> ImportResult:
    if kind not in IMPORTERS:
        raise ValueError(f"Unknown import {kind!r}; choose one of {', '.join(IMPORTERS)}")
    # An import makes hundreds of thousands of small objects that live until it ends; the
    # cyclic garbage collector would rescan them again and again (a sixth of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return import_string(IMPORTERS[kind])(**kwargs)
    finally:
        if collecting:
            gc.enable()

# kind -> (the page where a corrected file is uploaded, where to go afterwards, its name)
IMPORT_PAGES = {
    "cqc": ("registry:import", "registry:location-list", "Go to the register"),
    "returns": ("returns:import", "returns:completeness", "See who has returned"),
    "outbreaks": ("outbreaks:import", "outbreaks:tracker", "Go to the outbreak tracker"),
}

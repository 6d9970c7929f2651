"""Build caresight/registry/data/authorities.csv from the ONS lookups in ../shared/data/ons/.

Every English upper-tier authority (county, unitary, metropolitan borough, London borough)
has adult social care duties. The April 2019 lower-to-upper-tier lookup gives the authorities,
the 2018 district-to-region lookup their regions. Reorganisations after April 2019 are listed
in REORGANISATIONS below (ONS codes from the ONS register of geographic codes), so the
register knows both the old and the new authorities and the dates between which each existed.

Run: python scripts/make_authorities.py ../shared/data/ons
"""

import csv
import sys
from pathlib import Path

TIERS = {"E06": "unitary", "E08": "metropolitan", "E09": "london", "E10": "county"}

# Authorities formed in April 2019, after the 2018 region lookup was made.
NEW_IN_2019 = {"E06000058": "E12000009", "E06000059": "E12000009"}

# (code, name, tier, region code, valid_from, abolished: [(code, valid_to)])
REORGANISATIONS = [
    ("E06000060", "Buckinghamshire", "unitary", "E12000008", "2020-04-01",
     [("E10000002", "2020-03-31")]),
    ("E06000061", "North Northamptonshire", "unitary", "E12000004", "2021-04-01",
     [("E10000021", "2021-03-31")]),
    ("E06000062", "West Northamptonshire", "unitary", "E12000004", "2021-04-01", []),
    ("E06000063", "Cumberland", "unitary", "E12000002", "2023-04-01",
     [("E10000006", "2023-03-31")]),
    ("E06000064", "Westmorland and Furness", "unitary", "E12000002", "2023-04-01", []),
    ("E06000065", "North Yorkshire", "unitary", "E12000003", "2023-04-01",
     [("E10000023", "2023-03-31")]),
    ("E06000066", "Somerset", "unitary", "E12000009", "2023-04-01",
     [("E10000027", "2023-03-31")]),
]


def main(ons: Path, out: Path) -> None:
    region_of_district, regions = {}, {}
    with open(ons / "ons_lad18_to_region18_lookup.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            region_of_district[row["LAD18CD"]] = row["RGN18CD"]
            regions[row["RGN18CD"]] = row["RGN18NM"]
    authorities = {}
    with open(ons / "ons_ltla19_to_utla19_lookup.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            code = row["UTLA19CD"]
            if code[:3] not in TIERS:
                continue
            region = region_of_district.get(row["LTLA19CD"]) or NEW_IN_2019.get(code)
            entry = authorities.setdefault(code, {
                "ons_code": code, "name": row["UTLA19NM"], "tier": TIERS[code[:3]],
                "region_code": region, "valid_from": "", "valid_to": "",
            })
            entry["region_code"] = entry["region_code"] or region
    for code, name, tier, region, start, abolished in REORGANISATIONS:
        authorities[code] = {"ons_code": code, "name": name, "tier": tier, "region_code": region,
                             "valid_from": start, "valid_to": ""}
        for old_code, end in abolished:
            authorities[old_code]["valid_to"] = end
    missing = [a for a in authorities.values() if not a["region_code"]]
    assert not missing, missing
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "regions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ons_code", "name"])
        writer.writerows(sorted(regions.items()))
    with open(out / "authorities.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(next(iter(authorities.values()))))
        writer.writeheader()
        writer.writerows(sorted(authorities.values(), key=lambda a: a["ons_code"]))
    print(f"{len(regions)} regions, {len(authorities)} authorities")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent.parent / "caresight/registry/data")

"""Default offence types: every police.uk crime type, with an indicative harm weight.

Weights are on the ONS Crime Severity Score scale (points per offence from sentencing data;
in the 2016 release homicide weighs 7,979 and cannabis possession 3). ONS publishes weights
per detailed Home Office offence code, not per police.uk category, so each value here is an
indicative figure for the category's usual mix of offences. Analysts should replace them
with their force's own category means (docs/adr/0004-harm-weights.md).
"""

SOURCE = ("ONS Crime Severity Score scale, indicative police.uk category value "
          "(review against the current ONS weights; docs/adr/0004)")

# (code, police.uk name, category, weight, include in targeting, aliases)
DEFAULT_OFFENCE_TYPES: list[tuple[str, str, str, float, bool, list[str]]] = [
    ("anti-social-behaviour", "Anti-social behaviour", "asb", 1.0, True, []),
    ("bicycle-theft", "Bicycle theft", "crime", 12.0, True, []),
    ("burglary", "Burglary", "crime", 300.0, True, []),
    ("criminal-damage-arson", "Criminal damage and arson", "crime", 40.0, True, []),
    # Found mostly by stop and search: counting it would send patrols where police already are.
    ("drugs", "Drugs", "crime", 15.0, False, []),
    ("other-crime", "Other crime", "crime", 60.0, True, []),
    ("other-theft", "Other theft", "crime", 20.0, True, []),
    ("possession-of-weapons", "Possession of weapons", "crime", 120.0, False, []),
    ("public-order", "Public order", "crime", 40.0, True, ["Public disorder and weapons"]),
    ("robbery", "Robbery", "crime", 700.0, True, []),
    ("shoplifting", "Shoplifting", "crime", 10.0, True, []),
    ("theft-from-the-person", "Theft from the person", "crime", 60.0, True, []),
    ("vehicle-crime", "Vehicle crime", "crime", 35.0, True, []),
    ("violence-and-sexual-offences", "Violence and sexual offences", "crime", 150.0, True,
     ["Violent crime", "Violence and sexual offences"]),
]

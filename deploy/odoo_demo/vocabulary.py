"""Word lists for the demo data: a Benelux tyre and wheel wholesaler and its trade partners."""

from __future__ import annotations

# (code, English name, Odoo lang, phone prefix, weight): where partners live.
COUNTRIES = (
    ("BE", "Belgium", "nl_BE", "+32", 70),
    ("NL", "Netherlands", "nl_NL", "+31", 18),
    ("LU", "Luxembourg", "fr_FR", "+352", 4),
    ("FR", "France", "fr_FR", "+33", 5),
    ("DE", "Germany", "de_DE", "+49", 3),
)

CITIES = {
    "BE": (
        ("2000", "Antwerpen"),
        ("9000", "Gent"),
        ("1000", "Brussel"),
        ("3000", "Leuven"),
        ("8000", "Brugge"),
        ("3500", "Hasselt"),
        ("2800", "Mechelen"),
        ("8500", "Kortrijk"),
        ("2300", "Turnhout"),
        ("9300", "Aalst"),
        ("3800", "Sint-Truiden"),
        ("8800", "Roeselare"),
        ("4000", "Liège"),
        ("5000", "Namur"),
        ("6000", "Charleroi"),
        ("7000", "Mons"),
    ),
    "NL": (
        ("4811", "Breda"),
        ("5611", "Eindhoven"),
        ("3011", "Rotterdam"),
        ("1012", "Amsterdam"),
        ("6211", "Maastricht"),
        ("4331", "Middelburg"),
        ("5038", "Tilburg"),
    ),
    "LU": (("1111", "Luxembourg"), ("4001", "Esch-sur-Alzette"), ("9001", "Ettelbruck")),
    "FR": (("59000", "Lille"), ("75001", "Paris"), ("51100", "Reims"), ("59140", "Dunkerque")),
    "DE": (("52062", "Aachen"), ("50667", "Köln"), ("40213", "Düsseldorf")),
}

FRENCH_SPEAKING_CITIES = frozenset({"Liège", "Namur", "Charleroi", "Mons"})

STREETS = (
    "Kerkstraat",
    "Stationsstraat",
    "Molenstraat",
    "Nieuwstraat",
    "Industrieweg",
    "Kapelstraat",
    "Dorpstraat",
    "Schoolstraat",
    "Nijverheidslaan",
    "Ambachtsweg",
    "Brusselsesteenweg",
    "Gentsesteenweg",
    "Zandstraat",
    "Kortrijksesteenweg",
    "Antwerpsesteenweg",
    "Rue de la Gare",
    "Rue de l'Église",
    "Avenue Louise",
    "Hauptstraße",
    "Havenweg",
)

SURNAMES = (
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Vermeulen",
    "Hermans",
    "Van den Broeck",
    "Michiels",
    "Smets",
    "Aerts",
    "De Vos",
    "Leclercq",
    "Bogaert",
    "Van Damme",
    "Verstraete",
    "De Backer",
    "Coppens",
    "Lemmens",
    "Pauwels",
    "Dumont",
    "Simon",
    "Laurent",
    "Renard",
    "Claessens",
    "Segers",
    "Verhoeven",
    "Cools",
    "Stevens",
    "Hendrickx",
    "Van Acker",
)

FIRST_NAMES = (
    "Jan",
    "Pieter",
    "Marc",
    "Luc",
    "Tom",
    "Bart",
    "Koen",
    "Wim",
    "Sofie",
    "An",
    "Els",
    "Katrien",
    "Lotte",
    "Emma",
    "Noah",
    "Lucas",
    "Louis",
    "Julie",
    "Sarah",
    "Marie",
    "Nathalie",
    "Thomas",
    "Kevin",
    "Jens",
    "Lien",
    "Ruben",
    "Laura",
    "Hanne",
    "Arne",
    "Ilse",
    "Yves",
    "Sylvie",
    "Didier",
    "Isabelle",
    "Olivier",
    "Céline",
)

GARAGE_PATTERNS = (
    "Garage {surname}",
    "Bandencentrale {surname}",
    "Autobanden {city}",
    "{surname} & Zonen",
    "Pneus {surname}",
    "Carrosserie {surname}",
    "Bandenservice {city}",
    "Auto {surname}",
    "{surname} Automotive",
    "Bandenhuis {city}",
    "Velgen & Banden {surname}",
)

LEGAL_FORMS = {
    "BE": ("BV", "NV", "SRL", "BV", "CommV"),
    "NL": ("B.V.", "B.V.", "V.O.F."),
    "LU": ("S.à r.l.", "SA"),
    "FR": ("SARL", "SAS"),
    "DE": ("GmbH", "GmbH & Co. KG"),
}

SUPPLIER_PREFIXES = (
    "Euro",
    "Benelux",
    "Nordic",
    "Atlantic",
    "Rhine",
    "Flanders",
    "Delta",
    "Alpine",
    "Iberia",
    "Baltic",
    "Central",
    "Westland",
    "Scheldt",
    "Meuse",
)
SUPPLIER_SUFFIXES = (
    "Tyre Distribution",
    "Wheels",
    "Tyre Trading",
    "Rubber Supply",
    "Rim Import",
    "Automotive Parts",
    "Tyre Wholesale",
    "Wheel Systems",
)

CONTACT_FUNCTIONS = (
    "Owner",
    "Purchasing",
    "Workshop manager",
    "Accounting",
    "Sales",
    "Fleet manager",
)

# Tyre brands: (brand, price factor, summer models, winter models, all-season models).
TYRE_BRANDS = (
    (
        "Michelin",
        1.35,
        ("Pilot Sport 5", "Primacy 4+", "e.Primacy"),
        ("Alpin 6", "Pilot Alpin 5"),
        ("CrossClimate 2",),
    ),
    (
        "Continental",
        1.3,
        ("PremiumContact 7", "EcoContact 6", "SportContact 7"),
        ("WinterContact TS 870",),
        ("AllSeasonContact 2",),
    ),
    (
        "Bridgestone",
        1.25,
        ("Turanza 6", "Potenza Sport"),
        ("Blizzak LM005",),
        ("Weather Control A005 Evo",),
    ),
    (
        "Pirelli",
        1.3,
        ("P Zero", "Cinturato P7"),
        ("Sottozero 3", "Winter Cinturato"),
        ("Cinturato All Season SF3",),
    ),
    (
        "Goodyear",
        1.25,
        ("EfficientGrip Performance 2", "Eagle F1 Asymmetric 6"),
        ("UltraGrip Performance 3",),
        ("Vector 4Seasons Gen-3",),
    ),
    (
        "Dunlop",
        1.1,
        ("Sport Maxx RT2", "Sport BluResponse"),
        ("Winter Sport 5",),
        ("Sport All Season",),
    ),
    (
        "Hankook",
        1.0,
        ("Ventus Prime 4", "Ventus S1 evo3"),
        ("Winter i*cept RS3",),
        ("Kinergy 4S2",),
    ),
    (
        "Nokian",
        1.05,
        ("Wetproof 1", "Powerproof 1"),
        ("Hakkapeliitta R5", "Snowproof 2"),
        ("Seasonproof 1",),
    ),
    ("Vredestein", 1.0, ("Ultrac", "Ultrac Pro"), ("Wintrac Pro",), ("Quatrac", "Quatrac Pro+")),
    (
        "Falken",
        0.9,
        ("Ziex ZE310 Ecorun", "Azenis FK520"),
        ("Eurowinter HS02",),
        ("Euroall Season AS210",),
    ),
    ("Kumho", 0.85, ("Ecsta PS71", "Ecowing ES31"), ("WinterCraft WP52",), ("Solus 4S HA32",)),
    ("Toyo", 0.9, ("Proxes Sport 2", "Proxes Comfort"), ("Observe S944",), ("Celsius AS2",)),
    (
        "Yokohama",
        0.95,
        ("BluEarth-GT AE51", "Advan Sport V107"),
        ("BluEarth-Winter V906",),
        ("BluEarth-4S AW21",),
    ),
    ("BFGoodrich", 0.95, ("Advantage",), ("g-Force Winter2",), ("Advantage All-Season",)),
    (
        "Nexen",
        0.75,
        ("N'Fera Sport", "N'blue HD Plus"),
        ("Winguard Sport 2",),
        ("N'blue 4Season 2",),
    ),
    ("Laufenn", 0.7, ("S Fit EQ+",), ("I Fit+",), ("G Fit 4S",)),
)

# Season: (category key, English, Dutch, French, speed ratings).
SEASONS = (
    ("summer", "Summer tyre", "Zomerband", "Pneu été", ("V", "W", "Y")),
    ("winter", "Winter tyre", "Winterband", "Pneu hiver", ("T", "H", "V")),
    ("all_season", "All-season tyre", "Vierseizoenenband", "Pneu 4 saisons", ("H", "V")),
)

# Rim diameter (inches), relative frequency, typical tyre width and aspect ratio.
RIM_SIZES = (
    (14, 5, 175, 65),
    (15, 12, 195, 60),
    (16, 22, 205, 55),
    (17, 24, 225, 45),
    (18, 18, 235, 40),
    (19, 10, 245, 35),
    (20, 6, 255, 35),
    (21, 2, 265, 30),
    (22, 1, 275, 30),
)

WHEEL_BRANDS = (
    "ATS",
    "BBS",
    "OZ Racing",
    "Borbet",
    "Dezent",
    "Rial",
    "Alutec",
    "MAK",
    "Ronal",
    "Enkei",
    "AEZ",
    "Dotz",
    "Brock",
    "Autec",
    "Platin",
)
WHEEL_MODELS = (
    "Y",
    "W",
    "CW5",
    "LX",
    "BLX",
    "Type A",
    "XR",
    "Leipzig",
    "Nizza",
    "Kodiak",
    "Zenit",
    "Raptor",
    "Atlanta",
    "Ikenu",
    "Lugano",
    "Spirit",
    "Gravity",
    "X10",
    "RC",
    "Evo",
)
STEEL_WHEEL_BRANDS = ("Alcar", "KFZ", "Tracker")
BOLT_PATTERNS = ("4x100", "4x108", "5x100", "5x108", "5x112", "5x114.3", "5x120")
CENTER_BORES = ("54.1", "57.1", "60.1", "63.4", "65.1", "66.5", "72.6")

# Variant attributes: (label, code suffix).
FINISHES = (
    ("Black Polished", "BP"),
    ("Silver", "SI"),
    ("Gunmetal", "GM"),
    ("Matt Black", "MB"),
    ("Hyper Silver", "HS"),
    ("Bronze", "BR"),
)
PRODUCTION_YEARS = (("DOT 2025", "D25"), ("DOT 2024", "D24"))
COLOURS = (("Black", "BK"), ("Chrome", "CR"), ("Red", "RD"))

# Accessories: (name, category key, storable, price range, sizes for the name's {size}).
CHAIN_SIZES = ("070", "080", "090", "102", "110", "120")
ACCESSORIES = (
    ("Schrader EZ-sensor 33.5 TPMS sensor", "tpms", True, (28.0, 55.0), ()),
    ("Huf IntelliSens UNI TPMS sensor", "tpms", True, (30.0, 60.0), ()),
    ("Alligator sens.it TPMS sensor", "tpms", True, (25.0, 50.0), ()),
    ("König CB-12 snow chains size {size}", "chains", True, (60.0, 140.0), CHAIN_SIZES),
    ("Thule CU-9 snow chains size {size}", "chains", True, (70.0, 150.0), CHAIN_SIZES),
    (
        "Wheel bolt M14x1.5 cone 60° {size} mm (set of 20)",
        "bolts",
        True,
        (18.0, 45.0),
        ("26", "28", "30", "35", "40"),
    ),
    ("Wheel nut M12x1.5 cone 60° (set of 20)", "bolts", True, (15.0, 35.0), ()),
    ("McGard lock nut set M12x1.5", "bolts", True, (25.0, 49.0), ()),
    ("Tubeless valve TR414 (100 pcs)", "bolts", False, (12.0, 25.0), ()),
    ("Balancing weights adhesive 5 g (100 pcs)", "bolts", False, (9.0, 20.0), ()),
    ("Rim cleaner 500 ml", "bolts", False, (5.0, 12.0), ()),
)

SERVICES = (
    'Tyre mounting & balancing {size}"',
    "Wheel alignment",
    "Tyre storage (one season)",
    "TPMS sensor programming",
    "Tyre disposal fee",
    "Run-flat mounting surcharge",
)

PRICELISTS = (
    # (name, discount off list price, share of products covered, promotional)
    ("Public Pricelist", 0.0, 1.0, False),
    ("Garage Tier A", 0.18, 0.97, False),
    ("Garage Tier B", 0.12, 0.95, False),
    ("Garage Tier C", 0.08, 0.93, False),
    ("Wholesale", 0.25, 0.9, False),
    ("Fleet & Lease", 0.15, 0.88, False),
    ("Dealer Network", 0.22, 0.92, False),
    ("Webshop B2C", 0.03, 0.96, False),
    ("Export Netherlands", 0.1, 0.85, False),
    ("Winter Action", 0.28, 0.9, True),
)

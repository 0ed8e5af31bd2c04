#!/usr/bin/env python3
"""Generate the us-retail example network and the sample orders.

Writes examples/networks/us-retail/{nodes.json, services.json, rates.csv, skus.csv,
inventory.csv, load.csv, policy.json} and examples/orders/*.json. Python 3 standard library
only; deterministic (a fixed seed), so running it twice gives identical files.

Node coordinates are ZIP3 centroids from examples/reference/zip3_population_2020.csv. Every
rate, surcharge and transit time below is an illustrative parameter of this project, not any
carrier's published price. The script checks its own invariants, including that each sample
order still demonstrates what examples/orders/README.md says it does, using a small copy of the
engine's cost model.

Usage: python3 examples/networks/us-retail/generate.py [--report]
"""

import csv
import itertools
import json
import math
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent
REFERENCE = EXAMPLES / "reference"
ORDERS_DIR = EXAMPLES / "orders"
SEED = 20261207

# --- Reference geography ---------------------------------------------------------------------

with open(REFERENCE / "zip3_population_2020.csv", newline="") as f:
    CENTROIDS = {row["zip3"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(f)}
CHART = {}
with open(REFERENCE / "usps_zip3_zones_2018.csv", newline="") as f:
    for row in csv.DictReader(f):
        for dest in range(int(row["dest_zip_start"]), int(row["dest_zip_end"]) + 1):
            CHART[(int(row["origin_zip"]), dest)] = int(row["zone"])


def centroid(zip5):
    assert zip5[:3] in CENTROIDS, f"ZIP3 {zip5[:3]} is not in the reference table"
    lat, lon = CENTROIDS[zip5[:3]]
    return {"lat": round(lat, 4), "lon": round(lon, 4)}


def miles(a, b):
    lat1, lat2 = math.radians(a["lat"]), math.radians(b["lat"])
    dlat, dlon = lat2 - lat1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 3958.8 * math.asin(math.sqrt(h))


def zone(node, dest_zip):
    """The engine's rule: the chart's zone, else a distance band from the node's coordinates."""
    charted = CHART.get((int(node["zip"][:3]), int(dest_zip[:3])))
    if charted:
        return charted
    distance = miles(node["location"], centroid(dest_zip))
    return next((i + 1 for i, b in enumerate([50, 150, 300, 600, 1000, 1400, 1800]) if distance <= b), 8)


# --- Carrier services and rate cards (illustrative) ------------------------------------------

HOLIDAYS = [  # observed dates; Independence Day 2026 and 2027, Christmas 2027 fall on weekends
    "2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
    "2027-01-01", "2027-05-31", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
]
N = None
# id, carrier, name, level, dim divisor, fuel bp, residential cents, transit zones 1-9, max lb,
# rate formula: price = base + step * (zone - 1) + (lb_base + lb_step * (zone - 1)) * (lb - 1)
SERVICES = [
    ("ups-ground", "UPS", "UPS Ground", "ground", 139, 1950, 595,
     [1, 2, 2, 3, 4, 4, 5, 5, N], 150, (1000, 75, 45, 20)),
    ("ups-2day", "UPS", "UPS 2nd Day Air", "two_day", 139, 2100, 610,
     [1, 1, 2, 2, 2, 2, 2, 2, N], 150, (2200, 200, 110, 45)),
    ("ups-overnight", "UPS", "UPS Next Day Air", "overnight", 139, 2100, 610,
     [1, 1, 1, 1, 1, 1, 1, 1, N], 150, (3800, 350, 190, 75)),
    ("fedex-ground", "FedEx", "FedEx Ground / Home Delivery", "ground", 139, 1925, 580,
     [1, 1, 2, 3, 3, 4, 4, 5, N], 150, (990, 80, 47, 19)),
    ("fedex-2day", "FedEx", "FedEx 2Day", "two_day", 139, 2050, 600,
     [1, 1, 2, 2, 2, 2, 2, 2, N], 150, (2250, 190, 105, 46)),
    ("fedex-overnight", "FedEx", "FedEx Standard Overnight", "overnight", 139, 2050, 600,
     [1, 1, 1, 1, 1, 1, 1, 1, N], 150, (3700, 360, 185, 78)),
    ("usps-ground-advantage", "USPS", "USPS Ground Advantage", "ground", 166, 0, 0,
     [2, 2, 2, 3, 3, 4, 5, 5, 7], 70, (650, 70, 90, 40)),
    ("usps-priority", "USPS", "USPS Priority Mail", "two_day", 166, 0, 0,
     [1, 1, 2, 2, 2, 3, 3, 3, 4], 70, (1400, 120, 120, 45)),
    ("usps-express", "USPS", "USPS Priority Mail Express", "overnight", 166, 0, 0,
     [1, 1, 1, 1, 1, 1, 1, 1, 2], 70, (2900, 250, 160, 65)),
]
SERVICE = {s[0]: s for s in SERVICES}
PROMISE = {"ground": 5, "two_day": 2, "overnight": 1}


def rate(service_id, zone_number, lb):
    _, _, _, _, _, _, _, transit, max_lb, (base, step, lb_base, lb_step) = SERVICE[service_id]
    if transit[zone_number - 1] is None or lb > max_lb:
        return None
    z = zone_number - 1
    return base + step * z + (lb_base + lb_step * z) * (lb - 1)


# --- Nodes -----------------------------------------------------------------------------------

ALL_SERVICES = [s[0] for s in SERVICES]
NODES = []


def node(id, name, kind, zip5, tz, capacity, per_order, per_unit, packaging, services, cutoff,
         capabilities, priority, handling_days=0):
    NODES.append({
        "id": id, "name": name, "kind": kind, "zip": zip5, "location": centroid(zip5),
        "time_zone": tz, "daily_capacity": capacity,
        "labor": {"per_order_cents": per_order, "per_unit_cents": per_unit},
        "packaging_cents": packaging, "services": services, "pickup_cutoff": cutoff,
        "handling_days": handling_days, "capabilities": capabilities, "priority": priority})


NY, CHI, DEN, PHX, LA = ("America/New_York", "America/Chicago", "America/Denver",
                         "America/Phoenix", "America/Los_Angeles")
for args in [  # distribution centers: id, city, zip, tz, capacity, labor, packaging, cutoff, caps
    ("DC-NJ", "Edison NJ", "08837", NY, 6000, 150, 35, 60, "18:00", ["hazmat", "oversize"]),
    ("DC-OH", "Columbus OH", "43217", NY, 4500, 135, 30, 55, "19:00", ["hazmat", "oversize"]),
    ("DC-TX", "Coppell TX", "75019", CHI, 5000, 130, 28, 55, "18:00", ["hazmat", "oversize"]),
    ("DC-GA", "Atlanta GA", "30336", NY, 4000, 140, 30, 60, "17:30", ["hazmat", "oversize"]),
    ("DC-CA", "Ontario CA", "91761", LA, 5500, 160, 38, 65, "17:00", ["hazmat", "oversize"]),
    ("DC-WA", "Kent WA", "98032", LA, 3000, 155, 36, 65, "17:00", ["oversize"]),
]:
    id, city, zip5, tz, cap, po, pu, pk, cutoff, caps = args
    node(id, f"{city} distribution center", "warehouse", zip5, tz, cap, po, pu, pk,
         ALL_SERVICES, cutoff, caps, len(NODES) + 1)
node("3PL-MEM", "Memphis TN third-party logistics partner", "3pl", "38118", CHI, 2500, 175, 40,
     70, ALL_SERVICES, "18:00", ["oversize"], 7)
node("3PL-RNO", "Reno NV third-party logistics partner", "3pl", "89502", LA, 1800, 180, 42, 70,
     ALL_SERVICES, "17:00", ["oversize"], 8)
node("VND-FURN", "High Point NC furniture drop-ship vendor", "dropship", "27260", NY, 300, 450,
     0, 100, ["fedex-ground", "fedex-2day"], "15:00", ["oversize"], 60, handling_days=1)
node("VND-ELEC", "Doral FL electronics drop-ship vendor", "dropship", "33178", NY, 500, 400, 0,
     100, ["ups-ground", "ups-2day"], "15:00", ["oversize"], 61, handling_days=1)

STORE_SERVICES = {  # carrier mixes of the stores
    "A": ["ups-ground", "ups-2day", "usps-ground-advantage", "usps-priority"],
    "B": ["fedex-ground", "fedex-2day", "fedex-overnight", "usps-ground-advantage",
          "usps-priority"],
    "C": ["ups-ground", "ups-2day", "ups-overnight"],
    "D": ["fedex-ground", "fedex-2day"],
}
STORES = [  # id, name, real ZIP, time zone, service mix, capabilities
    ("STORE-NYC", "Manhattan Chelsea", "10001", NY, "B", []),
    ("STORE-BKN", "Brooklyn Downtown", "11201", NY, "A", []),
    ("STORE-BOS", "Boston Back Bay", "02116", NY, "C", []),
    ("STORE-PHL", "Philadelphia Center City", "19103", NY, "A", []),
    ("STORE-DCA", "Washington DC Chinatown", "20001", NY, "B", []),
    ("STORE-BAL", "Baltimore Inner Harbor", "21202", NY, "D", []),
    ("STORE-PIT", "Pittsburgh Downtown", "15222", NY, "A", []),
    ("STORE-CLT", "Charlotte Uptown", "28202", NY, "C", []),
    ("STORE-RDU", "Raleigh Downtown", "27601", NY, "D", []),
    ("STORE-ATL", "Atlanta Midtown", "30309", NY, "B", []),
    ("STORE-MIA", "Miami Brickell", "33130", NY, "A", []),
    ("STORE-ORL", "Orlando Downtown", "32801", NY, "D", []),
    ("STORE-TPA", "Tampa Downtown", "33602", NY, "A", []),
    ("STORE-BNA", "Nashville Downtown", "37203", CHI, "C", []),
    ("STORE-CHI-1", "Chicago Magnificent Mile", "60611", CHI, "B", []),
    ("STORE-CHI-2", "Chicago Jefferson Park", "60630", CHI, "A", []),
    ("STORE-DET", "Detroit Downtown", "48226", "America/Detroit", "C", []),
    ("STORE-MSP", "Minneapolis Nicollet Mall", "55402", CHI, "A", []),
    ("STORE-STL", "St. Louis Downtown", "63101", CHI, "D", []),
    ("STORE-MCI", "Kansas City Power & Light", "64105", CHI, "A", []),
    ("STORE-MKE", "Milwaukee Downtown", "53202", CHI, "D", []),
    ("STORE-IND", "Indianapolis Downtown", "46204", "America/Indiana/Indianapolis", "C", []),
    ("STORE-CVG", "Cincinnati Downtown", "45202", NY, "A", []),
    ("STORE-DEN", "Denver LoDo", "80202", DEN, "A", ["oversize"]),
    ("STORE-PHX", "Phoenix Downtown", "85004", PHX, "D", []),
    ("STORE-LAS", "Las Vegas Strip", "89109", LA, "A", []),
    ("STORE-SLC", "Salt Lake City Downtown", "84101", DEN, "C", []),
    ("STORE-ABQ", "Albuquerque Downtown", "87102", DEN, "D", []),
    ("STORE-HOU", "Houston Downtown", "77002", CHI, "B", []),
    ("STORE-AUS", "Austin Downtown", "78701", CHI, "A", []),
    ("STORE-SAT", "San Antonio Downtown", "78205", CHI, "D", []),
    ("STORE-MSY", "New Orleans CBD", "70112", CHI, "A", []),
    ("STORE-LA-1", "Los Angeles Downtown", "90012", LA, "B", []),
    ("STORE-LA-2", "Los Angeles Fairfax", "90036", LA, "A", []),
    ("STORE-SAN", "San Diego Gaslamp", "92101", LA, "C", []),
    ("STORE-SF", "San Francisco SoMa", "94103", LA, "B", []),
    ("STORE-SJC", "San Jose Downtown", "95113", LA, "D", []),
    ("STORE-SAC", "Sacramento Downtown", "95814", LA, "A", []),
    ("STORE-PDX", "Portland Pearl District", "97205", LA, "B", ["oversize"]),
    ("STORE-SEA", "Seattle Downtown", "98101", LA, "A", []),
]
rng = random.Random(SEED)
for i, (id, name, zip5, tz, mix, caps) in enumerate(STORES):
    node(id, f"{name} store", "store", zip5, tz, rng.randrange(40, 151, 10),
         rng.randrange(250, 401, 10), rng.randrange(50, 81, 5), rng.randrange(80, 121, 5),
         STORE_SERVICES[mix], rng.choice(["14:00", "15:00", "15:30", "16:00"]), caps, 20 + i)
NODE = {n["id"]: n for n in NODES}

# --- SKUs ------------------------------------------------------------------------------------

COLORS = ["Black", "Navy", "Heather Grey", "White", "Olive", "Burgundy"]
# name, variants, weight g, (length, width, height) mm, tags, handling
CATALOGUE = [
    ("Cotton crew tee", [COLORS[:4], ["M", "L", "XL"]], 180, (300, 250, 25), "apparel", ""),
    ("Pullover hoodie", [COLORS[:3], ["M", "L", "XL"]], 650, (350, 300, 70), "apparel", ""),
    ("Fleece quarter-zip", [COLORS[3:], ["M", "L"]], 450, (340, 280, 60), "apparel", ""),
    ("Slim fit jeans", [["Dark wash", "Light wash"], ["30", "32", "34", "36"]], 700,
     (350, 280, 50), "apparel", ""),
    ("Stretch chino pants", [["Khaki", "Navy"], ["32", "34"]], 550, (340, 270, 45), "apparel", ""),
    ("Wool blend beanie", [COLORS[:4]], 100, (220, 200, 30), "apparel;seasonal", ""),
    ("Puffer jacket", [COLORS[:3], ["M", "L", "XL"]], 900, (400, 350, 100), "apparel;seasonal", ""),
    ("Merino socks 3-pack", [["M", "L"]], 150, (200, 120, 40), "apparel", ""),
    ("Knit scarf", [COLORS[3:]], 200, (300, 200, 40), "apparel;seasonal", ""),
    ("Flannel pajama set", [["Red plaid", "Green plaid"], ["M", "L"]], 500, (320, 260, 60),
     "apparel;seasonal", ""),
    ("High-rise leggings", [["Black", "Navy"], ["S", "M"]], 250, (280, 220, 30), "apparel", ""),
    ("Wrap dress", [["Floral", "Black"], ["S", "M"]], 400, (350, 280, 40), "apparel", ""),
    ("Everyday running shoe", [["8", "9", "10", "11"]], 900, (330, 220, 120), "shoes", ""),
    ("Waterproof winter boot", [["8", "9", "10"]], 1600, (360, 260, 140), "shoes;seasonal", ""),
    ("Shearling slipper", [["S", "M", "L"]], 500, (300, 150, 110), "shoes", ""),
    ("Canvas sneaker", [["White", "Black"], ["9", "10"]], 800, (320, 210, 110), "shoes", ""),
    ("Bath towel set 6-piece", [["White", "Slate"]], 2200, (400, 300, 200), "home", ""),
    ("Percale sheet set", [["Queen", "King"], ["White", "Sage"]], 1800, (350, 300, 100), "home", ""),
    ("Down-alternative comforter", [["Queen", "King"]], 3000, (550, 450, 250), "home", ""),
    ("Throw pillow 18 in", [["Mustard", "Ivory", "Teal"]], 600, (460, 460, 150), "home", ""),
    ("Sherpa throw blanket", [["Cream", "Charcoal"]], 1300, (400, 350, 120), "home;seasonal", ""),
    ("Picture frame 8x10", [["Walnut", "Black"]], 700, (300, 250, 50), "home;fragile", ""),
    ("Ceramic table lamp", [["White", "Blue"]], 2600, (450, 300, 300), "home;fragile", ""),
    ("Soy candle 3-wick", [["Balsam", "Vanilla", "Citrus"]], 900, (130, 130, 120),
     "home;fragile", ""),
    ("Fabric storage bins 4-pack", [], 1200, (350, 300, 100), "home", ""),
    ("Shower curtain", [["Stripe", "Solid"]], 600, (300, 250, 40), "home", ""),
    ("Blackout curtain panel pair", [["Grey", "Navy"]], 1400, (350, 300, 60), "home", ""),
    ("Area rug 5x7 ft", [["Ivory", "Indigo"]], 6500, (1600, 200, 200), "home", ""),
    ("Wall clock 14 in", [], 1100, (350, 350, 80), "home;fragile", ""),
    ("Full-length mirror", [], 6000, (1300, 450, 60), "home;fragile", ""),
    ("Nonstick skillet 10 in", [], 1100, (480, 280, 70), "kitchen", ""),
    ("10-piece cookware set", [], 8500, (600, 400, 300), "kitchen", ""),
    ("Chef knife 8 in", [], 300, (380, 100, 40), "kitchen", ""),
    ("Stoneware mug set of 4", [["Speckled", "Blue"]], 2200, (300, 300, 150),
     "kitchen;fragile", ""),
    ("Glass food storage set", [], 3500, (400, 300, 200), "kitchen;fragile", ""),
    ("Enameled cast iron dutch oven 6 qt", [["Red", "Blue"]], 6200, (380, 330, 220),
     "kitchen", ""),
    ("Personal blender", [], 1600, (250, 180, 400), "kitchen;appliance", ""),
    ("12-cup coffee maker", [], 2800, (380, 280, 380), "kitchen;appliance", ""),
    ("2-slice toaster", [], 1700, (330, 230, 230), "kitchen;appliance", ""),
    ("Air fryer 5 qt", [], 5200, (400, 350, 380), "kitchen;appliance", ""),
    ("Stand mixer 5 qt", [], 11000, (430, 300, 450), "kitchen;appliance", ""),
    ("Electric kettle", [], 1300, (250, 200, 280), "kitchen;appliance", ""),
    ("Bamboo cutting board", [], 1300, (460, 310, 40), "kitchen", ""),
    ("Utensil set 6-piece", [], 600, (380, 150, 80), "kitchen", ""),
    ("Dinnerware set 16-piece", [], 9000, (500, 350, 350), "kitchen;fragile", ""),
    ("Wine glasses set of 4", [], 1800, (330, 250, 250), "kitchen;fragile", ""),
    ("Knife block set 12-piece", [], 3800, (450, 250, 150), "kitchen", ""),
    ("Sheet pan 2-pack", [], 1500, (470, 340, 50), "kitchen", ""),
    ("Salad spinner", [], 900, (270, 270, 170), "kitchen", ""),
    ("French press 34 oz", [], 900, (230, 170, 150), "kitchen;fragile", ""),
    ("True wireless earbuds", [["Black", "White"]], 300, (150, 120, 60), "electronics", ""),
    ("Noise cancelling headphones", [], 800, (250, 220, 110), "electronics", ""),
    ("Portable bluetooth speaker", [["Black", "Blue", "Red"]], 900, (220, 130, 110),
     "electronics", ""),
    ("USB-C wall charger 30W", [], 150, (120, 80, 50), "electronics", ""),
    ("USB-C cable 2 m", [["Black", "White"]], 100, (150, 100, 25), "electronics", ""),
    ("Smart plug 2-pack", [], 250, (130, 100, 70), "electronics", ""),
    ("1080p webcam", [], 400, (180, 120, 90), "electronics", ""),
    ("Wireless keyboard", [], 800, (480, 170, 50), "electronics", ""),
    ("Wireless mouse", [["Graphite", "Rose"]], 200, (160, 110, 60), "electronics", ""),
    ("Fitness tracker", [["Black", "Sand"]], 200, (160, 90, 60), "electronics", ""),
    ("E-reader 6 in", [], 450, (210, 150, 40), "electronics", ""),
    ("Tablet 10 in", [], 900, (280, 200, 60), "electronics;fragile", ""),
    ("4K streaming stick", [], 250, (170, 110, 50), "electronics", ""),
    ("Smart speaker", [], 700, (150, 150, 160), "electronics", ""),
    ("Video doorbell", [], 600, (200, 140, 80), "electronics", ""),
    ("Gaming controller", [], 500, (190, 170, 80), "electronics", ""),
    ("Power bank 20000 mAh", [["Black", "White"]], 450, (170, 100, 40), "electronics", "hazmat"),
    ("AA lithium batteries 8-pack", [], 200, (150, 110, 20), "electronics", "hazmat"),
    ("CR2032 coin cells 6-pack", [], 60, (120, 90, 10), "electronics", "hazmat"),
    ("Building brick set 500 pieces", [["City", "Space"]], 1200, (380, 260, 80), "toys", ""),
    ("Jigsaw puzzle 1000 pieces", [["Lighthouse", "Alps", "Botanical"]], 700, (350, 250, 60),
     "toys", ""),
    ("Family board game", [["Strategy", "Party"]], 1200, (400, 270, 70), "toys", ""),
    ("Plush bear 16 in", [], 400, (400, 250, 200), "toys", ""),
    ("RC stunt car", [], 1200, (350, 220, 180), "toys", ""),
    ("Fashion doll", [], 500, (330, 110, 60), "toys", ""),
    ("Wooden train set", [], 2200, (450, 350, 100), "toys", ""),
    ("Art supply kit", [], 1600, (400, 300, 80), "toys", ""),
    ("Nail polish set 6 colors", [], 400, (180, 120, 50), "beauty;fragile", "hazmat"),
    ("Nail polish remover 8 oz", [], 250, (150, 70, 70), "beauty", "hazmat"),
    ("Aerosol hairspray 10 oz", [], 350, (230, 70, 70), "beauty", "hazmat"),
    ("Dry shampoo aerosol", [], 250, (210, 60, 60), "beauty", "hazmat"),
    ("Eau de parfum 50 ml", [["Amber", "Citrus"]], 300, (130, 100, 60), "beauty;fragile", "hazmat"),
    ("Daily moisturizer", [], 250, (150, 70, 70), "beauty", ""),
    ("Shampoo and conditioner duo", [], 1100, (250, 180, 80), "beauty", ""),
    ("Ionic hair dryer", [], 900, (300, 240, 100), "beauty;appliance", ""),
    ("Electric toothbrush", [], 400, (260, 110, 60), "beauty", ""),
    ("Yoga mat 6 mm", [["Plum", "Teal", "Black"]], 1300, (620, 150, 150), "sports", ""),
    ("Adjustable dumbbells pair", [], 23000, (450, 450, 250), "sports", ""),
    ("Resistance band set", [], 600, (250, 180, 80), "sports", ""),
    ("Insulated water bottle 32 oz", [["Black", "Sage", "Coral"]], 500, (280, 100, 100),
     "sports", ""),
    ("LED camping lantern", [], 600, (220, 140, 140), "outdoor", ""),
    ("Backpacking stove fuel canister", [], 400, (120, 120, 100), "outdoor", "hazmat"),
    ("Insect repellent aerosol", [], 200, (200, 60, 60), "outdoor", "hazmat"),
    ("Sleeping bag 20F", [], 1800, (450, 250, 250), "outdoor", ""),
    ("Tent 4-person", [], 5400, (650, 250, 250), "outdoor", ""),
    ("Hybrid commuter bike", [["M", "L"]], 14000, (1400, 250, 750), "sports", "oversize"),
    ("Kids bike 20 in", [], 10000, (1150, 230, 650), "sports", "oversize"),
    ("Folding kick scooter", [], 4000, (900, 150, 300), "sports", ""),
    ("Foam roller", [], 500, (460, 160, 160), "sports", ""),
    ("Pre-lit artificial tree 6 ft", [], 9000, (1100, 350, 330), "seasonal", ""),
    ("LED string lights 100 ct", [["Warm white", "Multicolor", "Cool white"]], 400,
     (200, 150, 80), "seasonal", ""),
    ("Glass ornament set 24 pieces", [["Red", "Silver"]], 1100, (350, 250, 120),
     "seasonal;fragile", ""),
    ("Wrapping paper 3-roll pack", [], 900, (800, 120, 120), "seasonal", ""),
    ("Knit stocking", [["Red", "Grey"]], 250, (450, 250, 30), "seasonal", ""),
    ("Advent calendar", [], 700, (400, 300, 60), "seasonal", ""),
    ("Orthopedic dog bed large", [], 3500, (900, 650, 200), "pet", ""),
    ("Cat tree 5-tier", [], 12000, (800, 500, 250), "pet", ""),
    ("Dog chew toy 3-pack", [], 500, (250, 150, 100), "pet", ""),
    ("LED desk lamp", [], 1300, (500, 200, 150), "office", ""),
    ("Spiral notebooks 5-pack", [], 1200, (300, 230, 60), "office", ""),
    ("Gel pens 12-pack", [], 200, (200, 100, 25), "office", ""),
]
VENDOR_CATALOGUE = {  # drop-ship vendors' own SKUs, which no other node stocks
    "VND-FURN": [
        ("Upholstered accent chair", [], 15000, (800, 700, 550), "furniture", "oversize"),
        ("5-shelf bookcase", [], 28000, (1800, 330, 90), "furniture", "oversize"),
        ("Media console 60 in", [], 32000, (1600, 450, 200), "furniture", "oversize"),
        ("Mesh office chair", [], 17000, (700, 650, 350), "furniture;office", "oversize"),
        ("Two-drawer nightstand", [], 14000, (600, 500, 300), "furniture", "oversize"),
    ],
    "VND-ELEC": [
        ("65 in 4K smart TV", [], 22000, (1600, 200, 950), "electronics;fragile", "oversize"),
        ("27 in QHD monitor", [], 7500, (700, 200, 480), "electronics;fragile", ""),
        ("Dolby Atmos soundbar", [], 6000, (1100, 200, 180), "electronics", ""),
        ("Gaming desktop PC", [], 14000, (600, 350, 600), "electronics;fragile", ""),
        ("Robot vacuum", [], 5000, (480, 460, 160), "electronics;appliance", ""),
    ],
}

SKUS, VENDOR_OF = [], {}


def add_skus(entries, vendor=None):
    for name, variants, grams, dims, tags, handling in entries:
        for combo in itertools.product(*variants) if variants else [()]:
            sku_id = f"SKU-{len(SKUS) + 1:04d}"
            tag_list = tags.split(";") + (["clearance"] if rng.random() < 0.07 else [])
            SKUS.append({"id": sku_id, "name": " ".join([name, *combo]).strip(),
                         "weight_g": round(grams * rng.uniform(0.95, 1.05)),
                         "length_mm": dims[0], "width_mm": dims[1], "height_mm": dims[2],
                         "tags": ";".join(sorted(set(tag_list))), "handling": handling})
            if vendor:
                VENDOR_OF[sku_id] = vendor


add_skus(CATALOGUE)
for vendor_id, entries in VENDOR_CATALOGUE.items():
    add_skus(entries, vendor_id)
SKU = {s["id"]: s for s in SKUS}
BY_NAME = {s["name"]: s["id"] for s in SKUS}


def handling(sku_id):
    return set(filter(None, SKU[sku_id]["handling"].split(";")))


# --- Scenario SKUs: inventory set by hand so each sample order shows what it should ----------

# name -> {node: (on_hand, reserved, safety_stock)}; these SKUs are left out of the random fill.
SCENARIO_STOCK = {
    # chicago-3-items: DC-NJ and DC-OH hold all three, DC-TX two of them, nobody else any.
    "Sherpa throw blanket Cream": {"DC-NJ": (140, 12, 6), "DC-OH": (95, 5, 5), "DC-TX": (60, 4, 4)},
    "Stoneware mug set of 4 Speckled": {"DC-NJ": (80, 6, 4), "DC-OH": (44, 2, 4),
                                        "DC-TX": (38, 0, 4)},
    "Portable bluetooth speaker Blue": {"DC-NJ": (210, 20, 8), "DC-OH": (120, 10, 6)},
    # denver-2-items: A only at DC-NJ, B (bulky) at DC-TX and DC-NJ.
    "Wooden train set": {"DC-NJ": (64, 4, 4)},
    "Pre-lit artificial tree 6 ft": {"DC-NJ": (90, 14, 5), "DC-TX": (120, 10, 5)},
    # vip-split: each item close to Atlanta at a different node; both only far away, at DC-CA.
    "Enameled cast iron dutch oven 6 qt Red": {"DC-GA": (70, 4, 4), "STORE-ATL": (3, 0, 1),
                                               "DC-CA": (55, 2, 4)},
    "Stand mixer 5 qt": {"3PL-MEM": (40, 2, 3), "DC-CA": (36, 0, 4), "DC-WA": (18, 0, 3)},
    # hazmat: the aerosol only at hazmat-capable DCs; the tee also in the Minneapolis store.
    "Dry shampoo aerosol": {"DC-NJ": (300, 20, 10), "DC-OH": (180, 8, 10), "DC-TX": (150, 5, 8),
                            "DC-GA": (120, 0, 8), "DC-CA": (160, 10, 8)},
    "Cotton crew tee Navy L": {"DC-NJ": (380, 30, 10), "DC-OH": (220, 10, 8),
                               "DC-TX": (240, 12, 8), "DC-CA": (260, 6, 8),
                               "STORE-MSP": (9, 1, 1), "STORE-CHI-1": (6, 0, 1)},
    # two-day-west: near Portland in the store, Seattle and DC-WA; far at the other DCs.
    "True wireless earbuds White": {"STORE-PDX": (5, 0, 1), "STORE-SEA": (7, 1, 1),
                                    "DC-WA": (150, 10, 6), "DC-CA": (200, 15, 6),
                                    "DC-NJ": (260, 20, 8), "DC-OH": (110, 4, 6)},
    # overnight-nyc: the Manhattan store and DC-NJ, plus two DCs too far to matter.
    "E-reader 6 in": {"STORE-NYC": (4, 0, 1), "DC-NJ": (120, 8, 5), "DC-TX": (80, 2, 5),
                      "DC-CA": (95, 5, 5)},
    # quantity-split: 2-3 sellable in a few northeast stores; the DCs have stock but zero ATP.
    "Knit scarf Olive": {"STORE-BOS": (4, 0, 1), "STORE-NYC": (3, 1, 0), "STORE-BKN": (2, 0, 0),
                         "STORE-PHL": (3, 0, 0), "STORE-DCA": (2, 0, 0), "DC-NJ": (12, 10, 2),
                         "DC-OH": (4, 0, 4)},
    # unfulfillable: on hand in places, but all of it reserved or safety stock.
    "Gaming controller": {"DC-NJ": (3, 3, 0), "DC-CA": (2, 0, 2), "STORE-HOU": (1, 1, 0)},
}

# --- Inventory, load, policy -----------------------------------------------------------------


def random_position(kind):
    if kind == "store":
        on_hand = rng.randint(1, 12)
        reserved = rng.randint(1, min(2, on_hand)) if rng.random() < 0.25 else 0
        return on_hand, reserved, rng.randint(0, max(0, min(2, on_hand - reserved - 1)))
    low, high = (20, 400) if kind == "warehouse" else (10, 150)
    on_hand = rng.randint(low, high)
    reserved = rng.randint(0, on_hand // 8)
    return on_hand, reserved, rng.randint(2, 10)


INVENTORY = {}  # (node, sku) -> (on_hand, reserved, safety)
STORE_SHARE = {n["id"]: rng.choice([0.3, 0.35, 0.4, 0.45, 0.5]) for n in NODES
               if n["kind"] == "store"}  # the share of eligible SKUs each store carries
scenario_ids = {BY_NAME[name] for name in SCENARIO_STOCK}
for n in NODES:
    for s in SKUS:
        sid, kind = s["id"], n["kind"]
        if sid in scenario_ids or not handling(sid) <= set(n["capabilities"]):
            continue
        if kind == "dropship":
            carried = VENDOR_OF.get(sid) == n["id"]
        elif sid in VENDOR_OF:
            carried = False
        elif kind == "warehouse":
            carried = rng.random() < 0.88
        elif kind == "3pl":
            carried = rng.random() < 0.45
        else:
            carried = ("oversize" not in handling(sid) or rng.random() < 0.3) and \
                rng.random() < STORE_SHARE[n["id"]]
        if carried:
            if kind == "dropship":
                position = (rng.randint(15, 60), rng.randint(0, 3), 0)
            else:
                position = random_position(kind)
            if kind != "dropship" and rng.random() < 0.03:  # sold through: nothing sellable left
                position = (position[0], position[0] - position[2], position[2])
            INVENTORY[(n["id"], sid)] = position
for name, holders in SCENARIO_STOCK.items():
    for node_id, position in holders.items():
        INVENTORY[(node_id, BY_NAME[name])] = position

LOAD = {"DC-NJ": 4100, "DC-OH": 1600, "DC-TX": 2750, "DC-GA": 1800, "DC-CA": 3400,
        "DC-WA": 1250, "3PL-MEM": 1200, "3PL-RNO": 540, "VND-FURN": 85, "VND-ELEC": 140}
for store_id, share in [("STORE-LA-1", 0.95), ("STORE-MIA", 0.9), ("STORE-CHI-1", 0.4),
                        ("STORE-BKN", 0.25), ("STORE-HOU", 0.5), ("STORE-DEN", 0.2),
                        ("STORE-AUS", 0.35), ("STORE-PHL", 0.3)]:
    LOAD[store_id] = int(NODE[store_id]["daily_capacity"] * share)
LOAD["STORE-SF"] = NODE["STORE-SF"]["daily_capacity"]  # exactly at capacity

POLICY = {
    "default": {"max_shipments": 3, "never_split": False, "min_split_savings_cents": 0,
                "split_line_quantities": False, "split_penalty_cents": 150,
                "capacity_pressure": {"start_percent": 60, "cost_at_full_cents": 400},
                "alternatives": 5},
    "tiers": {"vip": {"never_split": True},
              "b2b": {"split_line_quantities": True}},
}

# --- Sample orders ---------------------------------------------------------------------------


def order(file, number, tier, zip5, residential, lines, when, service_level=None,
          deliver_by=None, attributes=None, channel="web"):
    body = {"id": f"SO-{number}", "channel": channel,
            "customer": {"id": f"C-{number - 900}", "tier": tier, "tags": []},
            "ship_to": {"zip": zip5, "country": "US", "residential": residential},
            "lines": [{"sku": BY_NAME[name], "quantity": qty} for name, qty in lines]}
    if service_level:
        body["service_level"] = service_level
    if deliver_by:
        body["deliver_by"] = deliver_by
    body["placed_at"] = when
    body["attributes"] = attributes or {}
    return file, body


ORDERS = [
    order("chicago-3-items", 1001, "standard", "60614", True,
          [("Sherpa throw blanket Cream", 1), ("Stoneware mug set of 4 Speckled", 1),
           ("Portable bluetooth speaker Blue", 1)], "2026-12-07T15:00:00Z", "ground"),
    order("denver-2-items", 1002, "standard", "80206", True,
          [("Wooden train set", 1), ("Pre-lit artificial tree 6 ft", 1)],
          "2026-12-07T16:30:00Z", "ground"),
    order("vip-split", 1003, "vip", "30307", True,
          [("Enameled cast iron dutch oven 6 qt Red", 1), ("Stand mixer 5 qt", 1)],
          "2026-12-08T14:00:00Z", "ground", attributes={"gift_wrap": False}),
    order("hazmat", 1004, "standard", "55408", True,
          [("Dry shampoo aerosol", 1), ("Cotton crew tee Navy L", 2)],
          "2026-12-08T15:30:00Z", deliver_by="2026-12-15"),
    order("two-day-west", 1005, "standard", "97209", True, [("True wireless earbuds White", 1)],
          "2026-12-09T17:00:00Z", "two_day"),
    order("overnight-nyc", 1006, "standard", "10016", True, [("E-reader 6 in", 1)],
          "2026-12-09T14:00:00Z", "overnight", channel="app"),
    order("quantity-split", 1007, "b2b", "02115", False, [("Knit scarf Olive", 6)],
          "2026-12-07T14:30:00Z", "ground", attributes={"po_number": "PO-88412"},
          channel="b2b-portal"),
    order("unfulfillable", 1008, "standard", "77005", True, [("Gaming controller", 1)],
          "2026-12-08T16:00:00Z", "ground"),
]

# --- A small copy of the engine's cost model, for the checks --------------------------------


def atp(node_id, sku_id):
    on_hand, reserved, safety = INVENTORY.get((node_id, sku_id), (0, 0, 0))
    return max(0, on_hand - reserved - safety)


def holders(name):
    return {n for (n, s) in INVENTORY if s == BY_NAME[name] and atp(n, s) > 0}


def billable_lb(service_id, grams, mm3):
    actual = math.ceil(grams * 100_000 / 45_359_237)
    dimensional = math.ceil(mm3 * 1000 / (16_387_064 * SERVICE[service_id][4]))
    return max(1, actual, dimensional)


def pressure(node_id, tier_policy):
    capacity, taken = NODE[node_id]["daily_capacity"], LOAD.get(node_id, 0)
    start = tier_policy["capacity_pressure"]["start_percent"] * 10
    used = min(1000, (taken + 1) * 1000 // capacity)
    if used <= start:
        return 0
    span = (1000 - start) ** 2  # integer rounding half up, as the engine's Cents::scale does
    return (tier_policy["capacity_pressure"]["cost_at_full_cents"] * (used - start) ** 2
            + span // 2) // span


def shipment_cost(node_id, lines, body):
    """Cheapest way for one node to ship `lines` [(sku, qty)], or None if it cannot."""
    n = NODE[node_id]
    if LOAD.get(node_id, 0) >= n["daily_capacity"]:
        return None
    if any(atp(node_id, s) < q or not handling(s) <= set(n["capabilities"]) for s, q in lines):
        return None
    grams = sum(SKU[s]["weight_g"] * q for s, q in lines)
    mm3 = sum(SKU[s]["length_mm"] * SKU[s]["width_mm"] * SKU[s]["height_mm"] * q
              for s, q in lines)
    z = zone(n, body["ship_to"]["zip"])
    # Business days to the promise; the one deliver_by order is 5 business days out.
    days = PROMISE.get(body.get("service_level"), 5) - n["handling_days"]
    charges = []
    for service_id in n["services"]:
        _, _, _, _, _, fuel, residential, transit, _, _ = SERVICE[service_id]
        price = rate(service_id, z, billable_lb(service_id, grams, mm3))
        if price is None or transit[z - 1] > days:
            continue
        price += residential if body["ship_to"]["residential"] else 0
        charges.append(price + (price * fuel + 5000) // 10000)
    if not charges:
        return None
    units = sum(q for _, q in lines)
    labor = n["labor"]["per_order_cents"] + n["labor"]["per_unit_cents"] * units
    return min(charges) + labor + n["packaging_cents"] + pressure(node_id, POLICY["default"])


def plans(body, max_shipments):
    """Every assignment of whole lines to nodes with at most `max_shipments` shipments."""
    lines = [(line["sku"], line["quantity"]) for line in body["lines"]]
    candidates = [[n for n in NODE if atp(n, s) >= q] for s, q in lines]
    out = {}
    for assignment in itertools.product(*candidates):
        groups = {}
        for node_id, line in zip(assignment, lines):
            groups.setdefault(node_id, []).append(line)
        if len(groups) > max_shipments:
            continue
        costs = [shipment_cost(node_id, group, body) for node_id, group in groups.items()]
        if None not in costs:
            key = tuple(sorted(groups))
            total = sum(costs) + 150 * (len(groups) - 1)
            out[key] = min(total, out.get(key, total))
    return sorted(out.items(), key=lambda kv: kv[1])


# --- Checks ----------------------------------------------------------------------------------


def check():
    assert len(NODES) == 50 and len({n["id"] for n in NODES}) == 50
    assert NODE["DC-NJ"]["priority"] == 1 and len({n["priority"] for n in NODES}) == 50
    assert len(SKUS) >= 220
    for s in SKUS:
        assert billable_lb("ups-ground", s["weight_g"], s["length_mm"] * s["width_mm"] *
                           s["height_mm"]) <= 150, s["name"]
    for (node_id, sku_id), (on_hand, reserved, safety) in INVENTORY.items():
        assert handling(sku_id) <= set(NODE[node_id]["capabilities"]), (node_id, sku_id)
        assert reserved + safety <= on_hand
        assert (sku_id in VENDOR_OF) == (NODE[node_id]["kind"] == "dropship")
    for service_id in SERVICE:
        for z in range(1, 10):
            prices = [rate(service_id, z, lb) for lb in range(1, SERVICE[service_id][8] + 1)]
            assert prices == sorted(prices) if None not in prices else set(prices) == {None}
            if z > 1 and rate(service_id, z, 1) is not None:
                assert rate(service_id, z, 1) >= rate(service_id, z - 1, 1)
    chicago_skus = ["Sherpa throw blanket Cream", "Stoneware mug set of 4 Speckled",
                    "Portable bluetooth speaker Blue"]
    everywhere = set.intersection(*(holders(name) for name in chicago_skus))
    assert everywhere == {"DC-NJ", "DC-OH"}, everywhere
    assert holders(chicago_skus[0]) | holders(chicago_skus[1]) >= {"DC-TX"}
    assert all(holders(name) <= {"DC-NJ", "DC-OH", "DC-TX"} for name in chicago_skus)
    assert LOAD["DC-OH"] < NODE["DC-OH"]["daily_capacity"] // 2
    assert holders("Wooden train set") == {"DC-NJ"}
    assert holders("Pre-lit artificial tree 6 ft") == {"DC-NJ", "DC-TX"}
    vip = [holders("Enameled cast iron dutch oven 6 qt Red"), holders("Stand mixer 5 qt")]
    assert vip[0] & vip[1] == {"DC-CA"}
    assert all(NODE[n]["kind"] == "warehouse" for n in holders("Dry shampoo aerosol"))
    assert "STORE-MSP" in holders("Cotton crew tee Navy L")
    assert {"STORE-NYC", "DC-NJ"} <= holders("E-reader 6 in")
    scarf = [atp(n, BY_NAME["Knit scarf Olive"]) for n in NODE]
    assert max(scarf) < 6 <= sum(sorted(scarf)[-3:])
    assert holders("Gaming controller") == set()
    assert all(atp(n, BY_NAME["Gaming controller"]) == 0 for n in NODE)
    assert sum(1 for (n, s) in INVENTORY if atp(n, s) == 0) >= 10
    assert LOAD["STORE-SF"] == NODE["STORE-SF"]["daily_capacity"]
    for _, body in ORDERS:
        assert body["ship_to"]["zip"][:3] in CENTROIDS
    # Costs, as the engine's model prices them.
    orders = {file: body for file, body in ORDERS}
    chicago = plans(orders["chicago-3-items"], 3)
    assert chicago[0][0] == ("DC-OH",), chicago[:3]
    assert dict(chicago)[("DC-NJ", "DC-TX")] > dict(chicago)[("DC-NJ",)] > chicago[0][1]
    denver = dict(plans(orders["denver-2-items"], 3))
    assert set(denver) == {("DC-NJ",), ("DC-NJ", "DC-TX")}, denver
    assert denver[("DC-NJ", "DC-TX")] < denver[("DC-NJ",)], "the Denver split should pay"
    vip_plans = plans(orders["vip-split"], 3)
    assert len(vip_plans[0][0]) == 2 and dict(vip_plans)[("DC-CA",)] > vip_plans[0][1]
    assert plans(orders["unfulfillable"], 3) == []
    return {"chicago-3-items": chicago,
            "denver-2-items": sorted(denver.items(), key=lambda kv: kv[1]),
            "vip-split": vip_plans, "hazmat": plans(orders["hazmat"], 3),
            "two-day-west": plans(orders["two-day-west"], 1),
            "overnight-nyc": plans(orders["overnight-nyc"], 1)}


# --- Output ----------------------------------------------------------------------------------


def to_json(value, indent=0):
    """JSON with one key per line, but lists of plain values and short objects on one line."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or indent and len(flat) + indent <= 96 or \
            isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return flat
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, list):
        items = [inner + to_json(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    items = [f"{inner}{json.dumps(k)}: {to_json(v, indent + 2)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def write_json(path, value):
    path.write_text(to_json(value) + "\n")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main():
    report = check()
    write_json(HERE / "nodes.json", NODES)
    write_json(HERE / "services.json", {"holidays": HOLIDAYS, "services": [
        {"id": id, "carrier": carrier, "name": f"{name} (illustrative)", "level": level,
         "dim_divisor": dim, "fuel_surcharge_bp": fuel, "residential_surcharge_cents": res,
         "transit_days": transit}
        for id, carrier, name, level, dim, fuel, res, transit, _, _ in SERVICES]})
    write_csv(HERE / "rates.csv", ["service", "weight_lb"] + [f"zone_{z}" for z in range(1, 10)],
              [[s[0], lb] + ["" if rate(s[0], z, lb) is None else rate(s[0], z, lb)
                             for z in range(1, 10)]
               for s in SERVICES for lb in range(1, s[8] + 1)])
    write_csv(HERE / "skus.csv", ["id", "name", "weight_g", "length_mm", "width_mm", "height_mm",
                                  "tags", "handling"], [list(s.values()) for s in SKUS])
    write_csv(HERE / "inventory.csv", ["node", "sku", "on_hand", "reserved", "safety_stock"],
              [[n, s, *INVENTORY[(n, s)]] for n in NODE for s in SKU if (n, s) in INVENTORY])
    write_csv(HERE / "load.csv", ["node", "orders_today"],
              [[n, LOAD[n]] for n in NODE if n in LOAD])
    write_json(HERE / "policy.json", POLICY)
    ORDERS_DIR.mkdir(exist_ok=True)
    for file, body in ORDERS:
        write_json(ORDERS_DIR / f"{file}.json", body)
    if "--report" in sys.argv:
        for file, ranked in report.items():
            print(file, [(", ".join(key), f"${cost / 100:.2f}") for key, cost in ranked[:4]])


if __name__ == "__main__":
    main()

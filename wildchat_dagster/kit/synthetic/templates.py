"""Shared material: names and templates of planted values, code for long prompts, user agents, time zones."""

from __future__ import annotations

# --- English-only material -------------------------------------------------

FIRST_NAMES = (
    "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Matthew", "Jennifer", "Andrew",
    "Olivia", "Joshua", "Hannah", "Ryan", "Lauren", "Brandon", "Megan", "Tyler", "Rachel", "Kevin",
    "Samantha", "Jason", "Nicole", "Justin", "Rebecca", "Thomas", "Laura", "Nathan", "Amanda", "Eric",
    "Victoria", "Adam", "Natalie", "Patrick", "Chloe", "Sean", "Grace", "Aaron", "Sophie", "Kyle",
)
LAST_NAMES = (
    "Carter", "Thompson", "Mitchell", "Reynolds", "Harrison", "Caldwell", "Bennett", "Holloway", "Whitaker", "Fletcher",
    "Donovan", "Sullivan", "Gallagher", "Pearson", "Lambert", "Montgomery", "Chambers", "Sinclair", "Hartley", "Porter",
    "Dawson", "Ramsey", "Crawford", "Fitzgerald", "Barrett", "Hughes", "Kennedy", "Morrison", "Gardner", "Lawson",
    "Warren", "Spencer", "Bradley", "Hoffman", "Franklin", "Nolan", "Sheridan", "Prescott", "Wheeler", "Maddox",
)

PERSON_TEMPLATES = (
    "My name is {value} and I am applying for the marketing assistant position at your company.",
    "Please write the letter in first person. My name is {value}, and I have five years of experience in retail.",
    "End the email with this sign-off:\n\nBest regards,\n{value}",
    "Finish it with:\n\nSincerely,\n{value}",
)
CARD_TEMPLATES = (
    "My card number is {value} and it keeps getting declined online, what should I do?",
    "I paid with my Visa card {value} but the order never arrived. Write a complaint to the shop.",
    "Is it safe to give my credit card {value} to a website that has no padlock icon?",
)
IP_TEMPLATES = (
    "My server at {value} keeps refusing SSH connections, how do I debug this?",
    "Why is my IP address {value} blocked when I try to open the website?",
    "I set up nginx on {value} but the browser shows a timeout. What should I check first?",
)
URL_TEMPLATES = (
    "Here is my LinkedIn profile: {value} Please use it to tailor the cover letter.",
    "Can you improve my summary? My profile is at {value}",
)
LOOKALIKE_TEMPLATES = (
    ("Write a short biography of Barack Obama for a school poster.", ("Barack Obama",)),
    ("Compare the leadership styles of Elon Musk and Steve Jobs.", ("Elon Musk", "Steve Jobs")),
    ("Why did Albert Einstein win the Nobel Prize?", ("Albert Einstein",)),
    ("My setup is Python 3.11.4 with pandas 2.0.3 on Windows 11.", ("Python 3.11.4", "pandas 2.0.3")),
    ("The deadline for the report is 2023-05-15 at 14:30.", ("2023-05-15",)),
    ("Solve for x and show each step: 3x + 7 = 22.", ("3x + 7 = 22",)),
    ("Is the iPhone 14 Pro worth it compared to the Samsung Galaxy S23?", ("iPhone 14 Pro", "Samsung Galaxy S23")),
    ("The documentation uses user@example.com as the sample address.", ("user@example.com",)),
    ("Read https://docs.python.org/3/library/json.html and summarise the dump function.", ("https://docs.python.org/3/library/json.html",)),
    ("Tokyo has a population of about 37,400,068 people.", ("37,400,068",)),
    ("What is the derivative of f(x) = 4x^3 - 2x + 9?", ("f(x) = 4x^3 - 2x + 9",)),
    ("Upgrade the package from version 1.24.3 to 2.0.0 and list the breaking changes.", ("1.24.3",)),
)
CODE_INTROS = (
    (
        "I have this Python script for processing CSV files but it crashes with a KeyError. Can you find the bug and "
        "explain it?"
    ),
    "Please review the following Python code and suggest improvements for readability and performance.",
    (
        "This code is supposed to clean the data and compute some statistics, but the numbers look wrong. What is "
        "going on?"
    ),
    "Add type hints and docstrings to the following Python module, and tell me if you see any bugs.",
)
CODE_FOLLOWUPS = (
    "Thanks! Can you also write unit tests for the main functions?",
    "Can you explain why the original version was slow?",
    "Please rewrite the whole script with your fixes applied.",
)
CODE_ANSWERS = (
    "The KeyError happens because the column name is read with a trailing space from the header row.",
    "You can fix it by stripping whitespace from every header before building the dictionary.",
    "The loop that merges the records is quadratic, so it becomes slow on large files.",
    "Using a dictionary keyed by the record identifier turns that step into a single pass.",
    "I would also split the parsing, the cleaning and the reporting into separate functions.",
    "Finally, the script should close the file it opens, which a with statement does for you.",
)
# Function bodies from which long code prompts are assembled; {n} varies names.
CODE_BLOCKS = (
    '''def load_rows_{n}(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            rows.append(row)
    return rows
''',
    '''def clean_row_{n}(row):
    cleaned = {{}}
    for key, value in row.items():
        if value is None:
            continue
        value = value.strip()
        if value == "":
            value = None
        cleaned[key] = value
    return cleaned
''',
    '''def summarize_{n}(rows, column):
    values = [float(r[column]) for r in rows if r.get(column)]
    if not values:
        return {{"count": 0}}
    values.sort()
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return {{
        "count": len(values),
        "mean": sum(values) / len(values),
        "median": median,
        "min": values[0],
        "max": values[-1],
    }}
''',
    '''class Inventory{n}:
    def __init__(self):
        self.items = {{}}

    def add(self, name, quantity=1):
        self.items[name] = self.items.get(name, 0) + quantity

    def remove(self, name, quantity=1):
        if self.items.get(name, 0) < quantity:
            raise ValueError("not enough " + name)
        self.items[name] -= quantity
        if self.items[name] == 0:
            del self.items[name]

    def total(self):
        return sum(self.items.values())
''',
    '''def merge_records_{n}(left, right, key):
    merged = []
    for a in left:
        for b in right:
            if a[key] == b[key]:
                combined = dict(a)
                combined.update(b)
                merged.append(combined)
    return merged
''',
    '''def parse_args_{n}():
    parser = argparse.ArgumentParser(description="Process the monthly report.")
    parser.add_argument("input", help="the CSV file to read")
    parser.add_argument("--output", default="report.txt")
    parser.add_argument("--column", default="amount")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args()
''',
    '''def write_report_{n}(stats, path):
    lines = ["Monthly report", "=" * 14, ""]
    for name, value in stats.items():
        if isinstance(value, float):
            value = round(value, 2)
        lines.append(f"{{name:>10}}: {{value}}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\\n".join(lines))
''',
    '''def group_by_{n}(rows, column):
    groups = {{}}
    for row in rows:
        groups.setdefault(row[column], []).append(row)
    return {{name: len(members) for name, members in sorted(groups.items())}}
''',
    '''def fibonacci_{n}(limit):
    sequence = [0, 1]
    while sequence[-1] + sequence[-2] < limit:
        sequence.append(sequence[-1] + sequence[-2])
    return sequence
''',
    '''def validate_{n}(row):
    errors = []
    if not row.get("id"):
        errors.append("missing id")
    if row.get("amount") and not row["amount"].replace(".", "", 1).isdigit():
        errors.append("amount is not a number")
    if row.get("date") and len(row["date"]) != 10:
        errors.append("date must look like YYYY-MM-DD")
    return errors
''',
)
CODE_HEADER = "import argparse\nimport csv\nimport json\nimport sys\n\n\n"
CODE_FOOTER = '''

def main():
    args = parse_args_0()
    rows = [clean_row_0(r) for r in load_rows_0(args.input)]
    stats = summarize_0(rows, args.column)
    write_report_0(stats, args.output)
    if args.verbose:
        print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    sys.exit(main())
'''

# Real browser user-agent strings of 2023-2024 and how often they show up.
USER_AGENTS: tuple[tuple[str, float], ...] = (
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 "
            "Safari/537.36"
        ),
        14,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 "
            "Safari/537.36"
        ),
        12,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 "
            "Safari/537.36"
        ),
        9,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
            "Safari/537.36"
        ),
        6,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 "
            "Safari/537.36 Edg/112.0.1722.48"
        ),
        6,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/112.0", 5),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", 2),
    (
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 "
            "Safari/537.36"
        ),
        8,
    ),
    (
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 "
            "Safari/605.1.15"
        ),
        5,
    ),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/113.0", 2),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36", 3),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/112.0", 1),
    (
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/16.4 Mobile/15E148 Safari/604.1"
        ),
        7,
    ),
    (
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1.2 Mobile/15E148 Safari/604.1"
        ),
        3,
    ),
    (
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile "
            "Safari/537.36"
        ),
        7,
    ),
    (
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/21.0 "
            "Chrome/110.0.5481.154 Mobile Safari/537.36"
        ),
        2,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 "
            "YaBrowser/23.3.1.895 Yowser/2.5 Safari/537.36"
        ),
        2,
    ),
    (
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 "
            "Safari/537.36 OPR/98.0.0.0"
        ),
        1,
    ),
)

# Common fixed UTC offsets of clients' local clocks, by country.
COUNTRY_OFFSETS_MINUTES: dict[str, int] = {
    "CN": 480, "HK": 480, "TW": 480, "SG": 480, "MY": 480, "PH": 480, "JP": 540, "KR": 540,
    "RU": 180, "BY": 180, "UA": 180, "KZ": 360, "DE": 120, "FR": 120, "IT": 120, "ES": 120,
    "PL": 120, "NL": 120, "AT": 120, "CH": 120, "BE": 120, "GB": 60, "IE": 60, "PT": 60,
    "US": -300, "CA": -240, "MX": -360, "BR": -180, "AR": -180, "CO": -300, "PE": -300,
    "IN": 330, "PK": 300, "IR": 210, "TR": 180, "EG": 180, "SA": 180, "AE": 240, "VN": 420,
    "ID": 420, "AU": 600, "NZ": 720,
}

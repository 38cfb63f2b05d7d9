"""Text patterns more than one module reads the same way: citation markers, months, figures, article suffixes.

Kept as regular-expression source strings (and a few compiled ones) so each module can build the larger pattern it
needs from the same parts; change a part here and every reader of it changes together.
"""

from __future__ import annotations

import re

# Inside a citation marker: "1" in [1], "1, 3" in [1, 3].
MARKER_NUMBERS = r"\d+(?:\s*,\s*\d+)*"
# A citation marker; group 1 holds its numbers.
CITATION_MARKER = re.compile(rf"\[({MARKER_NUMBERS})\]")
# One marker or several in a row: "[1]", "[1][3]", "[1, 2]".
CITATION_MARKERS = re.compile(rf"(?:\[{MARKER_NUMBERS}\])+")

MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
# A month as datelines write it: "Oct.", "October", "Sept", "Sep" (case as the caller's flags say).
MONTH_ABBREVIATION = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"

# A number as articles write it: 53, 1,200, 3.5.
NUMBER = r"\d+(?:[.,]\d+)*"
# The units that make a number a figure worth comparing: "53%", "12 percent", "$3 billion".
SCALE_UNITS = "million|billion|trillion"

# The files the corpus takes; the app's upload box takes the same.
ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
WEB_PAGE_SUFFIXES = (".html", ".htm")
UPLOAD_SUFFIXES = ARTICLE_SUFFIXES

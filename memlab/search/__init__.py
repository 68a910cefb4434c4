"""Full-text search over messages: bm25's exact top hits, fast at a million messages.

The one door to the search engine: the rest of memlab imports these names only.
``engine`` plans and scores a query, ``index`` keeps the side index beside FTS5 current and
verifies it, ``postings`` stores each term's messages for numpy.
"""

from .engine import (
    FRAME_DTYPES,
    MODES,
    Filters,
    Hit,
    Phrase,
    Plan,
    Planner,
    Query,
    Search,
    filters,
    parse,
    search,
    search_frame,
)

__all__ = [
    "FRAME_DTYPES", "MODES", "Filters", "Hit", "Phrase", "Plan", "Planner", "Query", "Search", "filters", "parse", "search",
    "search_frame",
]

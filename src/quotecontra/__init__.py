"""quotecontra: quote attribution and contradiction dataset from news articles."""

__version__ = "0.1.0"

"""specgen: declarative schema specs compiled into realistic, referentially consistent data."""

__version__ = "0.1.0"

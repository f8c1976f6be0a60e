"""docker-runtimecheck: will this builder's OCI runtime survive this BuildKit?"""

__version__ = "0.3.0"

CHECKED_FILE = "checked.toml"


def metadata_date() -> str:
    """The date of the newest upstream release the knowledge base was read at (YYYY-MM-DD),
    read without a TOML parser: this answers `--version`, which must stay cheap."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    for directory in (os.path.join(here, "metadata"), os.path.join(here, "..", "..", "metadata")):
        try:
            with open(os.path.join(directory, CHECKED_FILE), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        dates = [
            line.partition("=")[2].strip()
            for line in lines
            if line.replace(" ", "").startswith("date=")
        ]
        return max(dates, default="unknown")
    return "unknown"

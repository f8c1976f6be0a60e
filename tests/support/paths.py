"""Where things are in the checkout, for the tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"
FIXTURES = REPO / "tests" / "fixtures"

"""Where the tests find the customer sample files (see README.md here)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent

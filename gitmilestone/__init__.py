"""gitmilestone: multi-step work kept as JSON milestone files in git."""

from __future__ import annotations

__version__ = "0.1.0"
SCHEMA_VERSION = 1

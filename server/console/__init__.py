"""The staff console: static pages that use only the public API (no rule lives here)."""

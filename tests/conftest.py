"""Suite-wide settings."""

from hypothesis import settings

# Shared CI machines are loaded: a property's deadline would measure the machine, not the code
# (speed is measured by scripts/bench.py, never by tests).
settings.register_profile("project", deadline=None)
settings.load_profile("project")

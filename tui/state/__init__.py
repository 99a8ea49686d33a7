"""View state built from engine events and form values, without widgets, so it is tested alone."""

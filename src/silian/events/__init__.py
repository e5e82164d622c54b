"""Events: roadshows, showcases and the annual selection, with entries and expert scores."""

"""cutover's simulation side: numbering, routing core, scenarios, regimes, the SimPy model."""

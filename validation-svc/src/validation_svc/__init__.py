"""validation-svc: door scanning for Crowdify events."""

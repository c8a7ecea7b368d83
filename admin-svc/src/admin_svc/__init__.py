"""admin-svc: users and roles, organiser scope, the reporting read model and its exports."""

"""Health for load balancers and orchestrators: /healthz (the process) and /readyz (its
database and Redis)."""

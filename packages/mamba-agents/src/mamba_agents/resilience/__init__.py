"""What the Agent does about failing model requests: retries, a circuit breaker per backend, failover.

Built from ``[retry]`` (and ``[model_backend] fallback``) by :func:`~mamba_agents.resilience.setup.build`.
"""

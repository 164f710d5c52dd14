"""Entry point module: registrations only (the workflows load when a name is first looked up)."""

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_workflows(register) -> None:
    register("react", lazy("mamba_agents_workflows.react:ReActWorkflow"))
    register("plan_execute", lazy("mamba_agents_workflows.plan_execute:PlanExecuteWorkflow"))
    register("reflection", lazy("mamba_agents_workflows.reflection:ReflectionWorkflow"))

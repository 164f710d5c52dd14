"""``PlanExecuteWorkflow``: a planner writes a structured ``Plan``, executors carry out its steps (the
independent ones concurrently, bounded), a failed step triggers a re-plan, and a final step synthesises.

The plan is a pydantic-ai output tool (``write_plan``) whose function checks it (ids, dependencies, cycles,
size) and raises ``ModelRetry`` with what is wrong, so a bad plan goes back to the planner through
pydantic-ai's own retry. Every planner, executor and synthesis run is a step; each plan is an iteration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.workflows import (
    Workflow,
    WorkflowLimitError,
    WorkflowMaxIterationsError,
    WorkflowState,
)
from mamba_agents.workflows.base import record_agent_result
from pydantic_ai import ModelRetry, ToolOutput

from mamba_agents_workflows.plan_config import (
    Plan,
    PlanExecuteConfig,
    PlanExecuteState,
    PlanStep,
    StepOutcome,
)
from mamba_agents_workflows.plan_hooks import PlanExecuteHooks
from mamba_agents_workflows.templates import check_template, render

DepsT = TypeVar("DepsT")


class PlanExecuteWorkflow(Workflow[DepsT, str, PlanExecuteState], Generic[DepsT]):
    """``PlanExecuteWorkflow(agent, planner=None, executor=None, config=..., hooks=...)``.

    ``planner`` and ``executor`` default to ``agent``. A Mamba ``Agent`` is run through the pydantic-ai
    agent underneath, so steps can run at the same time and its conversation is left alone; its usage and
    cost are still counted in the agent's tracker.
    """

    config_class = PlanExecuteConfig
    hooks_class = PlanExecuteHooks

    def __init__(
        self,
        agent: Any,
        config: PlanExecuteConfig | None = None,
        hooks: PlanExecuteHooks | None = None,
        *,
        planner: Any = None,
        executor: Any = None,
        prompt_manager: PromptManager | None = None,
    ) -> None:
        if config is not None and not isinstance(config, PlanExecuteConfig):
            config = PlanExecuteConfig(**config.model_dump())
        super().__init__(config=config, hooks=hooks)
        self.agent = agent
        self.planner = planner if planner is not None else agent
        self.executor = executor if executor is not None else agent
        own = getattr(agent, "prompt_manager", None)
        self.prompt_manager = prompt_manager or (own if isinstance(own, PromptManager) else PromptManager())
        check_template(
            self.prompt_manager, self.plan_config.planner_prompt_template, "planner_prompt_template"
        )

    @property
    def name(self) -> str:
        return "plan_execute"

    @property
    def plan_config(self) -> PlanExecuteConfig:
        return self._config  # type: ignore[return-value]

    def _create_initial_state(self, prompt: str) -> WorkflowState[PlanExecuteState]:
        return WorkflowState(context=PlanExecuteState(task=prompt))

    async def _execute(
        self, prompt: str, state: WorkflowState[PlanExecuteState], deps: DepsT | None = None
    ) -> str:
        pe = state.context
        assert pe is not None
        cfg = self.plan_config
        failures: list[StepOutcome] = []
        while True:
            if failures and state.iteration_count >= cfg.max_iterations:
                first = failures[0]
                raise WorkflowMaxIterationsError(
                    f"workflow 'plan_execute' stopped: step {first.step.id!r} failed ({first.error}) and "
                    f"all {cfg.max_iterations} plans max_iterations allows were used",
                    value=cfg.max_iterations,
                )
            async with self.iteration(state) as number:
                if failures:
                    await self._trigger("on_replan", state, state, failures)
                plan = await self._plan(prompt, state, number, failures, deps)
                pe.plans.append(plan)
                await self._trigger("on_plan", state, state, plan, number)
                failures = await self._run_plan(plan, state, number, deps)
            if not failures:
                break
        answer = await self._synthesize(prompt, state, deps)
        pe.final_answer = answer
        return answer

    # -- planning -------------------------------------------------------------------------------------

    async def _plan(
        self,
        task: str,
        state: WorkflowState[PlanExecuteState],
        number: int,
        failures: list[StepOutcome],
        deps: Any,
    ) -> Plan:
        pe = state.context
        assert pe is not None
        done = pe.results
        limit = self.plan_config.max_plan_steps

        def write_plan(goal: str, steps: list[PlanStep]) -> Plan:
            """Submit the plan: its goal and its steps, each with an id and the ids it depends on."""
            plan = Plan(goal=goal, steps=steps)
            problems = plan_problems(plan, done, limit)
            if problems:
                raise ModelRetry("The plan cannot run: " + "; ".join(problems) + ". Submit a corrected plan.")
            return plan

        prompt = f"Task:\n{task}"
        if failures:
            lines = "\n".join(f"- {f.step.id} ({f.step.description}): {f.error}" for f in failures)
            prompt += f"\n\nThe last plan failed at:\n{lines}\nPlan the remaining work differently."
        async with self.step_scope("plan", description=f"plan {number}", input_data=prompt) as step:
            result = await _runner(self.planner).run(
                prompt,
                output_type=ToolOutput(write_plan, name="write_plan"),
                instructions=self._planner_instructions(task, done),
                **_deps(deps),
            )
            record_agent_result(step, self.planner, result)
        return result.output

    def _planner_instructions(self, task: str, done: dict[str, str]) -> str:
        cfg = self.plan_config
        template = cfg.planner_prompt_template or TemplateConfig(name="workflow/plan_execute_planner")
        completed = ", ".join(sorted(done))
        return render(
            self.prompt_manager,
            template,
            {"task": task, "max_plan_steps": cfg.max_plan_steps, "completed": completed},
        )

    # -- executing ------------------------------------------------------------------------------------

    async def _run_plan(
        self, plan: Plan, state: WorkflowState[PlanExecuteState], number: int, deps: Any
    ) -> list[StepOutcome]:
        """Run every step whose dependencies are done, at most ``max_parallel_steps`` at once.

        After a failure no new step starts; the running ones finish (each within its step timeout).
        """
        pe = state.context
        assert pe is not None
        done = set(pe.results)
        pending = {s.id: s for s in plan.steps}
        running: dict[asyncio.Task[StepOutcome], PlanStep] = {}
        failures: list[StepOutcome] = []
        limit_hit: BaseException | None = None
        try:
            while pending or running:
                if not failures and limit_hit is None:
                    for sid, s in list(pending.items()):
                        if len(running) >= self.plan_config.max_parallel_steps:
                            break
                        if all(d in done for d in s.depends_on):
                            del pending[sid]
                            running[asyncio.create_task(self._run_step(s, number, state, deps))] = s
                if not running:
                    break
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    running.pop(task)
                    try:
                        outcome = task.result()
                    except WorkflowLimitError as exc:  # max_steps: the run stops, not this plan
                        limit_hit = limit_hit or exc
                        continue
                    pe.outcomes.append(outcome)
                    if outcome.success:
                        done.add(outcome.step.id)
                    else:
                        failures.append(outcome)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        if limit_hit is not None:
            raise limit_hit
        return failures

    async def _run_step(
        self, plan_step: PlanStep, number: int, state: WorkflowState[PlanExecuteState], deps: Any
    ) -> StepOutcome:
        await self._trigger("on_plan_step_start", state, state, plan_step)
        outcome = StepOutcome(plan_step, number)
        try:
            async with self.step_scope(
                "execute", description=f"{plan_step.id}: {plan_step.description}", input_data=plan_step.id
            ) as step:
                result = await _runner(self.executor).run(self._step_prompt(plan_step, state), **_deps(deps))
                record_agent_result(step, self.executor, result)
        except WorkflowLimitError as exc:
            if exc.limit != "step_timeout_seconds":
                raise
            outcome.error = str(exc)
        except Exception as exc:  # a failed step is re-planned, not fatal
            outcome.error = f"{type(exc).__name__}: {exc}"
        if outcome.error is not None:
            await self._trigger("on_plan_step_error", state, state, plan_step, outcome.error)
            return outcome
        outcome.output = str(result.output)
        await self._trigger("on_plan_step_complete", state, state, plan_step, outcome.output)
        return outcome

    def _step_prompt(self, plan_step: PlanStep, state: WorkflowState[PlanExecuteState]) -> str:
        pe = state.context
        assert pe is not None
        results = pe.results
        inputs = "".join(f"\n[{d}] {results[d]}" for d in plan_step.depends_on if d in results)
        text = f"Overall task:\n{pe.task}\n\nYour step ({plan_step.id}): {plan_step.description}"
        if inputs:
            text += f"\n\nResults of the steps it depends on:{inputs}"
        return text + "\n\nDo this step only and reply with its result."

    async def _synthesize(self, task: str, state: WorkflowState[PlanExecuteState], deps: Any) -> str:
        pe = state.context
        assert pe is not None
        plan = pe.plans[-1]
        results = pe.results
        lines = "".join(f"\n[{s.id}] {s.description}: {results.get(s.id, '')}" for s in plan.steps)
        prompt = (
            f"Task:\n{task}\n\nResults of the plan's steps:{lines}\n\nWrite the final answer to the task."
        )
        async with self.step_scope("synthesize", description="final answer", input_data=prompt) as step:
            result = await _runner(self.agent).run(prompt, **_deps(deps))
            record_agent_result(step, self.agent, result)
        return str(result.output)


def plan_problems(plan: Plan, done: Iterable[str], max_steps: int) -> list[str]:
    """What makes ``plan`` impossible to run: size, duplicate or reused ids, unknown dependencies, cycles."""
    finished = set(done)
    problems: list[str] = []
    ids = [s.id for s in plan.steps]
    if len(ids) > max_steps:
        problems.append(f"it has {len(ids)} steps, at most {max_steps} are allowed")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"step ids must be unique ({', '.join(duplicates)} repeat)")
    reused = sorted(set(ids) & finished)
    if reused:
        problems.append(f"{', '.join(reused)} already ran; give new steps new ids")
    known = set(ids) | finished
    for s in plan.steps:
        unknown = [d for d in s.depends_on if d not in known]
        if unknown:
            problems.append(f"step {s.id} depends on unknown step(s) {', '.join(unknown)}")
        if s.id in s.depends_on:
            problems.append(f"step {s.id} depends on itself")
    if not problems and _has_cycle(plan, finished):
        problems.append("the dependencies form a cycle")
    return problems


def _has_cycle(plan: Plan, finished: set[str]) -> bool:
    remaining = {s.id: {d for d in s.depends_on if d not in finished} for s in plan.steps}
    while remaining:
        ready = [sid for sid, needs in remaining.items() if not needs]
        if not ready:
            return True
        for sid in ready:
            del remaining[sid]
        for needs in remaining.values():
            needs.difference_update(ready)
    return False


def _runner(agent: Any) -> Any:
    # A Mamba Agent runs one turn at a time and keeps a conversation; plan steps need neither.
    return getattr(agent, "pydantic_agent", agent)


def _deps(deps: Any) -> dict[str, Any]:
    return {} if deps is None else {"deps": deps}

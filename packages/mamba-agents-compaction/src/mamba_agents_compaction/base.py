"""A strategy whose options are a validated pydantic model, so a typo in configuration fails clearly."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from mamba_agents.context.strategy import CompactionStrategy
from pydantic import BaseModel, ConfigDict, ValidationError


class StrategyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


OptionsT = TypeVar("OptionsT", bound=StrategyOptions)


class ConfiguredStrategy(CompactionStrategy, Generic[OptionsT]):
    """Options come from ``CompactionConfig.strategy_options`` (or keyword arguments) and are checked here."""

    Options: ClassVar[type[StrategyOptions]] = StrategyOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        try:
            self.settings: OptionsT = self.Options(**options)  # type: ignore[assignment]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in err['loc']) or 'options'}: {err['msg']}" for err in exc.errors()
            )
            allowed = ", ".join(self.Options.model_fields)
            raise ValueError(
                f"invalid options for compaction strategy {self.name!r}: {problems} "
                f"(allowed options: {allowed})"
            ) from None

"""Cost: ``CostEstimator`` (a user price table, then genai-prices), ``CostBreakdown``, ``Cost`` and
``format_cost``.

Token conventions follow pydantic-ai and genai-prices: ``input_tokens`` *includes* the cache reads and
writes, so the uncached input is ``input_tokens - cache_read_tokens - cache_write_tokens``.

A model nobody can price (a local model, a custom name) is reported as *unpriced*: ``priced=False`` and the
model listed in ``unpriced_models``, never a silent $0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mamba_agents.config.sections import ModelPrice

_MTOK = Decimal(1_000_000)

# Model-string prefixes (pydantic-ai's "provider:model") that name a local or test model: never priced by
# genai-prices, whatever the model is called there.
LOCAL_PROVIDERS = frozenset(
    {"ollama", "vllm", "lmstudio", "llamacpp", "llama-cpp", "local", "test", "function", "custom"}
)
# pydantic-ai provider prefixes whose genai-prices provider id differs.
_PROVIDER_IDS = {
    "openai-chat": "openai",
    "openai-responses": "openai",
    "google-gla": "google",
    "google-vertex": "google",
    "gemini": "google",
    "bedrock": "aws",
}


@dataclass(frozen=True)
class CostBreakdown:
    """What tokens cost, in USD: prompt (uncached input), completion (output) and cache (reads and writes).

    ``priced`` is False when any request could not be priced; those requests add nothing to the figures
    and are counted in ``unpriced_requests`` (their models in ``unpriced_models``). The parts add up to
    ``total_cost`` except when a provider reported only a total (then the whole amount is in ``total_cost``).
    """

    prompt_cost: float = 0.0
    completion_cost: float = 0.0
    cache_cost: float = 0.0
    total_cost: float = 0.0
    priced: bool = True
    unpriced_models: list[str] = field(default_factory=list)
    unpriced_requests: int = 0
    currency: str = "USD"

    @property
    def cost(self) -> Cost:
        """``total_cost`` as a :class:`Cost` that remembers what could not be priced."""
        return Cost(
            self.total_cost, unpriced_requests=self.unpriced_requests, unpriced_models=self.unpriced_models
        )

    def __str__(self) -> str:
        return format_cost(self)

    @classmethod
    def unpriced(cls, model: str | None, requests: int = 1) -> CostBreakdown:
        return cls(priced=False, unpriced_models=[model or "<unknown model>"], unpriced_requests=requests)

    @classmethod
    def combine(cls, parts: Iterable[CostBreakdown]) -> CostBreakdown:
        prompt = completion = cache = total = 0.0
        models: list[str] = []
        unpriced = 0
        for part in parts:
            prompt += part.prompt_cost
            completion += part.completion_cost
            cache += part.cache_cost
            total += part.total_cost
            unpriced += part.unpriced_requests
            models.extend(m for m in part.unpriced_models if m not in models)
        return cls(prompt, completion, cache, total, unpriced == 0, models, unpriced)


class Cost(float):
    """A USD amount that remembers how many requests could not be priced.

    It is a plain number wherever it is formatted (``f"${cost:.4f}"``, ``str()``), so a run that nobody
    could price reads ``$0.0000``; ``priced``, ``unpriced_requests``, ``unpriced_models``, ``repr()`` and
    :class:`CostBreakdown` / :func:`format_cost` say what was left out.
    """

    unpriced_requests: int
    unpriced_models: tuple[str, ...]

    def __new__(
        cls, value: float | Decimal = 0.0, *, unpriced_requests: int = 0, unpriced_models: Iterable[str] = ()
    ) -> Cost:
        self = super().__new__(cls, float(value))
        self.unpriced_requests = int(unpriced_requests)
        self.unpriced_models = tuple(unpriced_models)
        return self

    @property
    def priced(self) -> bool:
        return self.unpriced_requests == 0

    @property
    def fully_unpriced(self) -> bool:
        return self.unpriced_requests > 0 and float(self) == 0.0

    def __format__(self, spec: str) -> str:
        return float.__format__(self, spec)

    def __str__(self) -> str:
        return float.__repr__(self)

    def __repr__(self) -> str:
        if not self.unpriced_requests:
            return f"Cost({float.__repr__(self)})"
        return (
            f"Cost({float.__repr__(self)}, unpriced_requests={self.unpriced_requests}, "
            f"unpriced_models={list(self.unpriced_models)!r})"
        )

    def __reduce__(self) -> Any:
        return (_rebuild_cost, (float(self), self.unpriced_requests, self.unpriced_models))


def _rebuild_cost(value: float, unpriced_requests: int, unpriced_models: tuple[str, ...]) -> Cost:
    return Cost(value, unpriced_requests=unpriced_requests, unpriced_models=unpriced_models)


def _unpriced(n: int) -> str:
    return f"{n} unpriced request" if n == 1 else f"{n} unpriced requests"


def format_cost(cost: Cost | CostBreakdown | float | Decimal | None, *, digits: int = 4) -> str:
    """For people: ``"$0.0123"``, ``"unpriced"``, or ``"$0.0123 + 2 unpriced requests"``."""
    if cost is None:
        return "unpriced"
    if isinstance(cost, CostBreakdown):
        cost = cost.cost
    value = float(cost)
    unpriced = cost.unpriced_requests if isinstance(cost, Cost) else 0
    if unpriced and value == 0.0:
        return "unpriced"
    text = f"${value:.{digits}f}"
    return f"{text} + {_unpriced(unpriced)}" if unpriced else text


@dataclass(frozen=True)
class PricedAmount:
    """Exact (Decimal) figures for one request; :class:`CostBreakdown` holds their float sums."""

    prompt: Decimal
    completion: Decimal
    cache: Decimal
    total: Decimal
    source: str  # "user-table", "genai-prices" or "provider"

    def breakdown(self) -> CostBreakdown:
        return CostBreakdown(float(self.prompt), float(self.completion), float(self.cache), float(self.total))


class CostEstimator:
    """Prices token counts: the user table (exact model name, then the name without its ``provider:``
    prefix) first, then genai-prices; anything else is unpriced.

    ``prices`` maps model names to :class:`~mamba_agents.config.ModelPrice` (or mappings with the same
    keys: ``input_per_mtok``, ``output_per_mtok``, ``cache_read_per_mtok``, ``cache_write_per_mtok``).
    """

    def __init__(self, prices: Mapping[str, ModelPrice | Mapping[str, Any]] | None = None) -> None:
        from mamba_agents.config.sections import ModelPrice

        self.prices: dict[str, ModelPrice] = {}
        for name, price in (prices or {}).items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"price table keys must be model names, got {name!r}")
            self.prices[name] = price if isinstance(price, ModelPrice) else ModelPrice.model_validate(price)
        self._rates: dict[tuple[str, str | None, str | None], Any] = {}

    def __repr__(self) -> str:
        return f"CostEstimator(prices={sorted(self.prices)!r})"

    def estimate(
        self,
        input_tokens: int,
        output_tokens: int,
        model: str | None,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        *,
        provider: str | None = None,
    ) -> CostBreakdown:
        """The cost of one request; ``priced=False`` (and the model in ``unpriced_models``) if unknown."""
        _check_tokens(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        amount = self.price(
            model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            provider=provider,
        )
        return amount.breakdown() if amount is not None else CostBreakdown.unpriced(model)

    def is_priced(self, model: str | None, *, provider: str | None = None) -> bool:
        return self.price(model, input_tokens=1, output_tokens=1, provider=provider) is not None

    def user_price(self, model: str | None) -> ModelPrice | None:
        if not model:
            return None
        if model in self.prices:
            return self.prices[model]
        _, bare = _split_provider(model)
        return self.prices.get(bare)

    def price(
        self,
        model: str | None,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        provider: str | None = None,
        provider_url: str | None = None,
        timestamp: datetime | None = None,
    ) -> PricedAmount | None:
        """Exact figures for one request, or ``None`` when the model cannot be priced."""
        if not model:
            return None
        user = self.user_price(model)
        if user is not None:
            return _user_amount(user, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        return _genai_amount(
            model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            provider=provider,
            provider_url=provider_url,
            timestamp=timestamp,
        )

    def split_total(
        self,
        total: Decimal,
        model: str | None,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        provider: str | None = None,
        provider_url: str | None = None,
        source: str = "provider",
    ) -> PricedAmount:
        """Split a total someone else computed (pydantic-ai at response time, or the caller) into prompt,
        completion and cache parts, in the proportions of the model's per-token prices. Cheap: the price
        lookup is done once per model and provider. Without prices to go by, only the total is known."""
        zero = Decimal(0)
        rates = self._token_rates(model, provider, provider_url)
        if rates is None:
            return PricedAmount(zero, zero, zero, total, source)
        in_rate, out_rate, read_rate, write_rate = rates
        uncached = max(0, input_tokens - cache_read_tokens - cache_write_tokens)
        prompt = uncached * in_rate
        cache = cache_read_tokens * read_rate + cache_write_tokens * write_rate
        completion = output_tokens * out_rate
        reference = prompt + cache + completion
        if reference == 0:
            return PricedAmount(zero, zero, zero, total, source)
        scale = total / reference
        return PricedAmount(prompt * scale, completion * scale, cache * scale, total, source)

    def _token_rates(
        self, model: str | None, provider: str | None, provider_url: str | None
    ) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
        if not model:
            return None
        user = self.user_price(model)
        if user is not None:
            in_rate = Decimal(str(user.input_per_mtok))
            read = in_rate if user.cache_read_per_mtok is None else Decimal(str(user.cache_read_per_mtok))
            write = in_rate if user.cache_write_per_mtok is None else Decimal(str(user.cache_write_per_mtok))
            return in_rate, Decimal(str(user.output_per_mtok)), read, write
        key = (model, provider, provider_url)
        if key not in self._rates:
            self._rates[key] = _genai_rates(model, provider, provider_url)
        return self._rates[key]


def _genai_rates(
    model: str, provider: str | None, provider_url: str | None
) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    calc = _genai_calc(model, 1, 1, 0, 0, provider=provider, provider_url=provider_url, timestamp=None)
    if calc is None:
        return None
    price = calc.model_price

    def rate(value: Any, fallback: Decimal) -> Decimal:
        from genai_prices.types import TieredPrices

        if isinstance(value, TieredPrices):
            return value.base
        return value if isinstance(value, Decimal) else fallback

    in_rate = rate(price.input_mtok, Decimal(0))
    return (
        in_rate,
        rate(price.output_mtok, Decimal(0)),
        rate(price.cache_read_mtok, in_rate),
        rate(price.cache_write_mtok, in_rate),
    )


def _check_tokens(input_tokens: int, output_tokens: int, cache_read: int, cache_write: int) -> None:
    for name, value in (
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("cache_read_tokens", cache_read),
        ("cache_write_tokens", cache_write),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    if cache_read + cache_write > input_tokens:
        raise ValueError(
            f"cache_read_tokens + cache_write_tokens ({cache_read + cache_write}) exceed input_tokens "
            f"({input_tokens}); input_tokens includes cached tokens"
        )


def _split_provider(model: str) -> tuple[str | None, str]:
    if ":" in model and not model.startswith("ft:"):
        prefix, rest = model.split(":", 1)
        if prefix and rest and "/" not in prefix:
            return prefix.lower(), rest
    return None, model


def _user_amount(
    price: ModelPrice, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
) -> PricedAmount:
    in_rate = Decimal(str(price.input_per_mtok))
    out_rate = Decimal(str(price.output_per_mtok))
    read_rate = in_rate if price.cache_read_per_mtok is None else Decimal(str(price.cache_read_per_mtok))
    write_rate = in_rate if price.cache_write_per_mtok is None else Decimal(str(price.cache_write_per_mtok))
    uncached = max(0, input_tokens - cache_read - cache_write)
    prompt = uncached * in_rate / _MTOK
    cache = (cache_read * read_rate + cache_write * write_rate) / _MTOK
    completion = output_tokens * out_rate / _MTOK
    return PricedAmount(prompt, completion, cache, prompt + cache + completion, "user-table")


def _genai_calc(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int,
    cache_write_tokens: int,
    *,
    provider: str | None,
    provider_url: str | None,
    timestamp: datetime | None,
) -> Any | None:
    """genai-prices' ``PriceCalculation``, or ``None`` when it does not know the model (or it is local)."""
    prefix, name = _split_provider(model)
    provider = (provider or prefix or "").lower() or None
    if provider in LOCAL_PROVIDERS:
        return None
    provider_id = _PROVIDER_IDS.get(provider, provider) if provider else None

    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
    )
    try:
        return calc_price(
            usage,
            name,
            provider_id=provider_id,
            provider_api_url=provider_url,
            genai_request_timestamp=timestamp,
        )
    except (LookupError, ValueError):
        # A provider genai-prices does not know (a gateway, a custom name): look the model up by name alone.
        # A provider it does know but that lacks the model stays unpriced: never price across providers.
        if provider_id is None or provider_url is not None or _known_provider(provider_id):
            return None
        try:
            return calc_price(usage, name, genai_request_timestamp=timestamp)
        except (LookupError, ValueError):
            return None


def _genai_amount(
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int,
    cache_write_tokens: int,
    provider: str | None,
    provider_url: str | None,
    timestamp: datetime | None,
) -> PricedAmount | None:
    calc = _genai_calc(
        model,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        provider=provider,
        provider_url=provider_url,
        timestamp=timestamp,
    )
    if calc is None:
        return None
    from genai_prices.types import TieredPrices, calc_unit_price

    cache = Decimal(0)
    for count, price in (
        (cache_read_tokens, calc.model_price.cache_read_mtok),
        (cache_write_tokens, calc.model_price.cache_write_mtok),
    ):
        if count and isinstance(price, Decimal | TieredPrices):
            cache += calc_unit_price(price, count, input_tokens, 1_000_000)
    prompt = calc.input_price - cache
    return PricedAmount(prompt, calc.output_price, cache, calc.total_price, "genai-prices")


def _known_provider(provider_id: str) -> bool:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    return any(p.id == provider_id for p in snapshot.providers)

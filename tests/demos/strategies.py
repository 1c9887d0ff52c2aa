"""Draw any demo's parameters from the whole space its Params model allows."""

from typing import Any, TypeVar, cast

from hypothesis import settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.figures.demo import DemoParams
from app.figures.params import ParamInfo, describe

P = TypeVar("P", bound=DemoParams)


def value_of(info: ParamInfo) -> st.SearchStrategy[Any]:
    """Any allowed value: the bounds, the slider's steps, or anywhere in between."""
    low, high = info.minimum, info.maximum
    if info.kind == "int":
        return st.one_of(st.sampled_from([int(low), int(high)]), st.integers(int(low), int(high)))
    steps = int((high - low) / info.step + 1e-9)
    on_grid = st.integers(0, steps).map(lambda k: min(high, round(low + k * info.step, 12)))
    anywhere = st.floats(low, high, allow_nan=False)
    choices = [st.sampled_from([low, high]), on_grid, anywhere]
    if info.log:
        # A log slider offers 1-2-5 per decade; draw uniformly in the exponent as well.
        choices.append(st.sampled_from(info.choices(info.default)))
        choices.append(
            st.floats(0.0, 1.0).map(lambda u: min(high, max(low, low * (high / low) ** u)))
        )
    return st.one_of(*choices)


def _build(model: type[DemoParams], values: dict[str, Any]) -> DemoParams | None:
    try:
        return model(**values)
    except ValidationError:  # a demo may tie parameters together
        return None


def params_for(model: type[P]) -> st.SearchStrategy[P]:
    """Draw valid Params of this model from its full allowed range, seed included."""
    fields = {info.name: value_of(info) for info in describe(model)}
    built = st.fixed_dictionaries(fields).map(lambda values: _build(model, values))
    return cast(st.SearchStrategy[P], built.filter(lambda params: params is not None))


# One setting for every demo's summary test: modest, and no deadline (compute can take 0.1 s).
summary_settings = settings(max_examples=30, deadline=None)

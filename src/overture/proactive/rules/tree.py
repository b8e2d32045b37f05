"""The typed condition tree: `Condition`, `Group` and `ConditionTree`.

All three validate through `validation`, so errors are ordinary pydantic `ValidationError`
entries (type ``condition_tree``) whose ``loc`` names the place in the tree, e.g.
``('all', 1, 'any', 0, 'operator')``; tree-wide limits are reported at the root, ``()``.
`model_dump()` gives back the JSON shape: ``{"all": [{"field": ..., ...}, ...]}``.
"""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .validation import Issue, Loc, Raw, check_condition, check_group, check_tree

ConditionValue = str | list[str] | bool | int | float


class Condition(BaseModel):
    """One test on the visit: ``{"field": ..., "operator": ..., "value": ...}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    operator: str
    value: ConditionValue

    @model_validator(mode="wrap")
    @classmethod
    def _check(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Self:
        return _checked(cls, data, handler, check_condition, lambda node: node)


def _checked(cls: type, data: Any, handler: ValidatorFunctionWrapHandler,
             check: Callable[[Any], tuple[Any, list]], shape: Callable[[Any], Any]) -> Any:
    """A node is built only from what the one validator of the tree (validation.py) accepts."""
    if isinstance(data, cls):
        return data
    normalised, issues = check(data)
    if issues or normalised is None:
        raise _validation_error(cls.__name__, issues)
    return handler(shape(normalised))


def _is_none(value: object) -> bool:
    return value is None


class Group(BaseModel):
    """``{"all": [...]}`` (every child must match) or ``{"any": [...]}`` (at least one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: list["Node"] | None = Field(default=None, exclude_if=_is_none)
    any: list["Node"] | None = Field(default=None, exclude_if=_is_none)

    @model_validator(mode="wrap")
    @classmethod
    def _check(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Self:
        return _checked(cls, data, handler, check_group, _fields)

    @property
    def op(self) -> Literal["all", "any"]:
        """Which kind of group this is."""
        return "any" if self.any is not None else "all"

    @property
    def children(self) -> list["Node"]:
        """The conditions and groups inside this group."""
        if self.any is not None:
            return self.any
        return self.all if self.all is not None else []


def _node_tag(value: Any) -> str:
    if isinstance(value, Group) or (isinstance(value, dict) and ("all" in value or "any" in value)):
        return "group"
    return "condition"


Node = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated[Group, Tag("group")],
    Discriminator(_node_tag),
]
Group.model_rebuild()


class ConditionTree(RootModel[Group]):
    """A whole targeting rule: a root group, with the tree-wide limits enforced.

    Usable as a field type: ``conditions: ConditionTree = ConditionTree.everyone()``.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _check(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Self:
        if isinstance(data, ConditionTree):
            return handler(data.root)
        normalised, issues = check_tree(data)
        if issues or normalised is None:
            raise _validation_error(cls.__name__, issues)
        return handler(_build(normalised))

    @classmethod
    def everyone(cls) -> Self:
        """The tree that matches every visit: ``{"all": []}``."""
        return cls.model_validate({"all": []})

    def conditions(self) -> Iterator[Condition]:
        """Every condition in the tree, depth first."""
        return _walk(self.root)


class RuleError(ValueError):
    """A rule was refused; `errors` lists ``{"loc": tuple, "msg": str}`` for each problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(
            "invalid rule: " + "; ".join(f"{_loc_text(e['loc'])}: {e['msg']}" for e in errors)
        )


def parse_tree(data: Any) -> ConditionTree:
    """Validate JSON-like data (or a JSON string) into a tree, raising `RuleError` if invalid."""
    try:
        if isinstance(data, str | bytes | bytearray):
            return ConditionTree.model_validate_json(data)
        return ConditionTree.model_validate(data)
    except ValidationError as error:
        raise RuleError(
            [{"loc": tuple(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        ) from None


def _walk(node: "Condition | Group") -> Iterator[Condition]:
    if isinstance(node, Condition):
        yield node
        return
    for child in node.children:
        yield from _walk(child)


def _fields(group: Raw) -> dict[str, list[Condition | Group]]:
    ((op, children),) = group.items()
    return {op: [_build(child) for child in children]}


def _build(node: Raw) -> Condition | Group:
    # The data is already checked, so construct without validating it again.
    if "field" in node:
        return Condition.model_construct(**node)
    return Group.model_construct(**_fields(node))


def _validation_error(title: str, issues: list[Issue]) -> ValidationError:
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError(issue.type, "{reason}", {"reason": issue.msg}),
                loc=issue.loc,
                input=issue.input,
            )
            for issue in issues
        ],
    )


def _loc_text(loc: Loc) -> str:
    return ".".join(str(part) for part in loc) or "(rule)"

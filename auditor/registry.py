"""One small registry for everything that is looked up by name (connector kinds, checks).

Registering a name twice raises: two plug-ins silently shadowing each other is how a
check goes missing without anyone noticing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from auditor.connector import Connector

T = TypeVar("T")


class RegistryError(KeyError):
    pass


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorator

    def add(self, name: str, obj: T) -> None:
        if name in self._items:
            raise RegistryError(f"{self.what} {name!r} is already registered")
        self._items[name] = obj

    def remove(self, name: str) -> None:
        """For tests that register a temporary entry."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.what} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())


connectors: Registry[type[Connector]] = Registry("connector kind")
"""The process's connector kinds, filled by the composition root (:func:`auditor.plugins.load_connectors`)."""

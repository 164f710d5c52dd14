"""Errors raised by the plugin kernel."""

from __future__ import annotations


class PluginError(Exception):
    """Base class for plugin kernel errors."""


class PluginConflictError(PluginError):
    """Two plugins registered the same name in one registry."""


class UnknownNameError(PluginError, KeyError):
    """A name was looked up that no loaded plugin registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""

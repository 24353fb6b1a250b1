"""Black Forest Labs' API (FLUX.1 Kontext): the client, the request rules, the provider."""

from kontextlab.providers.bfl.client import Client, Submitted, Task, TaskStatus, trusted_follow
from kontextlab.providers.bfl.provider import CAPABILITIES, BflProvider, BflRules, task_update

__all__ = [
    "CAPABILITIES",
    "BflProvider",
    "BflRules",
    "Client",
    "Submitted",
    "Task",
    "TaskStatus",
    "task_update",
    "trusted_follow",
]

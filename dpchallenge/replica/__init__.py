"""A local, deterministic replica of www.dpchallenge.com for tests and demos."""

from dpchallenge.replica.jpeg import REMOVED_PLACEHOLDER_JPEG, REMOVED_PLACEHOLDER_SHA256
from dpchallenge.replica.model import Site
from dpchallenge.replica.server import FaultConfig, Replica, RequestRecord

__all__ = [
    "REMOVED_PLACEHOLDER_JPEG",
    "REMOVED_PLACEHOLDER_SHA256",
    "FaultConfig",
    "Replica",
    "RequestRecord",
    "Site",
]

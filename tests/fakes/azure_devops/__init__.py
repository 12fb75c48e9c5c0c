"""A fake Azure DevOps for the test suite and the benchmarks; see ``server.py``."""

from tests.fakes.azure_devops.server import FakeAzureDevOps

__all__ = ["FakeAzureDevOps"]

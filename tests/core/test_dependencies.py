"""What the product needs at runtime: metrics from django-prometheus, and no evaluation baseline."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from django.test import Client

# Packages that only the evaluation harnesses use (the `eval` dependency group).
EVAL_ONLY = ("drain3", "rank_bm25", "numpy")


@pytest.mark.django_db
def test_metrics_are_served_by_django_prometheus() -> None:
    Client().get("/healthz")
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_the_product_imports_without_the_evaluation_baselines() -> None:
    """Every module outside ``occurrences.evaluation`` imports with the baselines absent."""
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        for name in {EVAL_ONLY!r}:
            sys.modules[name] = None  # makes `import name` raise ImportError
        import django
        django.setup()
        import casebridge
        failed = []
        for info in pkgutil.walk_packages(casebridge.__path__, "casebridge."):
            name = info.name
            if ".migrations" in name or name.startswith("casebridge.occurrences.evaluation"):
                continue
            try:
                importlib.import_module(name)
            except ImportError as exc:
                failed.append(f"{{name}}: {{exc}}")
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"DJANGO_SETTINGS_MODULE": "casebridge.settings", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

from __future__ import annotations

from django.db import models


class Sequence(models.Model):
    """A named counter row; keys such as CB-42 are allocated from it (see core.keys)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "core_sequence"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

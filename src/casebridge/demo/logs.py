"""Real-looking application logs for demo attachments: noise with the scenario's errors in it."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

from casebridge.demo.scenarios import NOISE_LINES


def _fill(template: str, rng: random.Random, at: datetime) -> str:
    values = {
        "req": "".join(rng.choices(string.hexdigits.lower(), k=16)),
        "pay": f"pay_{rng.randrange(10**9):09d}",
        "order": f"{rng.randrange(10**6, 10**7)}",
        "ms": str(rng.randrange(3, 9000)),
        "n": str(rng.randrange(1, 500)),
        "amount": f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}",
        "amount2": f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}",
        "ref": f"rf_{rng.randrange(10**8):08d}",
        "batch": f"B{rng.randrange(10**5):05d}",
        "job": f"exp-{rng.randrange(10**6):06d}",
        "worker": f"worker-{rng.randrange(1, 9)}",
        "msg": f"<{rng.randrange(10**9)}@mail.example.com>",
        "doc": f"sku-{rng.randrange(10**6):06d}",
        "tenant": f"t{rng.randrange(1, 400)}",
        "user": f"u{rng.randrange(10**5)}",
        "session": "".join(rng.choices(string.ascii_letters + string.digits, k=22)),
        "key": f"k{rng.randrange(1000)}",
        "carrier": rng.choice(["MEO", "NOS", "Vodafone PT"]),
        "time": at.strftime("%H:%M:%S"),
        "time2": (at + timedelta(seconds=rng.randrange(60, 300))).strftime("%H:%M:%S"),
        "date": at.strftime("%d %b"),
        "person": rng.choice(["J. Doe", "M. Rossi", "K. Schmidt"]),
        "report": rng.choice(["Monthly sales", "Stock levels", "Refund ledger"]),
    }
    return template.format(**values)


def make_log(rng: random.Random, error_lines: list[str], at: datetime, lines: int = 150) -> bytes:
    """A log of ``lines`` lines ending around ``at`` with the error lines recurring in it."""
    t = at - timedelta(minutes=30)
    out: list[str] = []
    for _ in range(lines):
        t += timedelta(milliseconds=rng.randrange(50, 24000))
        template = (
            rng.choice(error_lines)
            if error_lines and rng.random() < 0.18
            else rng.choice(NOISE_LINES)
        )
        level, _, rest = template.partition(" ")
        stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
        out.append(f"{stamp} {level:<5} {_fill(rest, rng, t)}")
    return ("\n".join(out) + "\n").encode()


def fill(template: str, rng: random.Random, at: datetime) -> str:
    return _fill(template, rng, at)

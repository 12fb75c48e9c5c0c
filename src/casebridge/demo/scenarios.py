"""The problems customers hit in the demo (with how each usually ends) and everyday log noise."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """A kind of problem customers report, with the way it usually ends."""

    key: str
    service: str
    component: str
    titles: list[str]
    description: str
    log_lines: list[str]
    known_fix: str = ""
    bug: str = ""
    category: str = "bug"
    impact: str = "medium"
    weight: int = 1
    docs: dict[str, str] = field(default_factory=dict)


SCENARIOS: list[Scenario] = [
    Scenario(
        "gateway-tls",
        "payments",
        "checkout-api",
        [
            "Checkout fails with 502 for card payments",
            "Card payments failing at the last step",
            "Customers cannot pay by card since this morning",
        ],
        "Since about {time} customers get an error page when they confirm a card payment. "
        "Wallet payments still work.",
        [
            "ERROR [gateway-connector] Call to acquirer failed: javax.net.ssl.SSLHandshakeException: "
            "PKIX path building failed: unable to find valid certification path (request {req})",
            "WARN [checkout] Payment {pay} for order {order} failed after {ms} ms: upstream 502",
        ],
        known_fix="gateway-tls",
        impact="critical",
        weight=3,
    ),
    Scenario(
        "refund-rounding",
        "payments",
        "refunds",
        [
            "Partial refunds off by one cent",
            "Refund amount differs from what we entered",
            "Refunds in JPY are wrong by a few yen",
        ],
        "When we refund part of an order the customer receives one cent less than entered, "
        "e.g. we refund {amount} and the statement shows one cent less.",
        [
            "WARN [refunds] Rounding difference for refund {ref}: requested={amount} settled={amount2} currency=EUR",
            "ERROR [refunds] Reconciliation mismatch for batch {batch}: 1 item(s) differ",
        ],
        bug="refund-rounding",
        impact="medium",
        weight=2,
        docs={
            "steps_to_reproduce": "1. Create an order of 10.005 EUR with a discount.\n"
            "2. Refund 3.335 EUR from the admin.\n3. Compare the settled amount.",
            "expected_result": "The settled refund equals the requested amount.",
            "actual_result": "The settled refund is one cent lower.",
        },
    ),
    Scenario(
        "export-stuck",
        "reporting",
        "exports",
        [
            "Monthly export never finishes",
            "Export stuck at 'running'",
            "Scheduled report did not arrive",
        ],
        "Our scheduled export '{report}' has been running since yesterday and never completes.",
        [
            "WARN [export-worker] Lease expired for job {job}, worker {worker} presumed dead",
            "INFO [export-worker] Job {job} heartbeat at {time}",
        ],
        known_fix="export-stuck",
        impact="low",
        weight=2,
    ),
    Scenario(
        "smtp-throttle",
        "notifications",
        "email-sender",
        [
            "Password reset e-mails arrive late",
            "Order confirmation e-mails delayed",
            "No receipts by e-mail",
        ],
        "Our customers receive e-mails 30 to 60 minutes late since {time}.",
        [
            "WARN [email-sender] SMTP relay answered 421 4.7.0 Try again later for message {msg}",
            "INFO [email-sender] Queue depth {n} messages, oldest {ms} ms",
        ],
        known_fix="smtp-throttle",
        impact="medium",
        weight=2,
    ),
    Scenario(
        "index-resync",
        "search",
        "indexer",
        [
            "New products missing from search",
            "Search shows old prices",
            "Product not found by search",
        ],
        "Products we added on {date} cannot be found by search, though they are visible in the shop.",
        [
            "ERROR [indexer] Bulk request rejected: version conflict for document {doc} in index products-{n}",
            "INFO [indexer] Indexed {n} documents in {ms} ms",
        ],
        known_fix="index-resync",
        impact="medium",
        weight=2,
    ),
    Scenario(
        "search-timeout",
        "search",
        "query-api",
        ["Search is very slow for long queries", "Search times out with many filters"],
        "Searches with more than five filters take more than 10 seconds or time out.",
        [
            "WARN [query-api] Slow query {ms} ms for tenant {tenant}: filters={n}",
            "ERROR [query-api] Query timed out after 10000 ms (request {req})",
        ],
        bug="search-timeout",
        impact="high",
        weight=1,
        docs={
            "steps_to_reproduce": "1. Open search.\n2. Apply six filters (brand, size, colour, price, stock, rating).\n3. Search 'shoes'.",
            "expected_result": "Results in under one second.",
            "actual_result": "The request times out after 10 s.",
        },
    ),
    Scenario(
        "mfa-reset",
        "identity",
        "auth-service",
        ["User locked out after new phone", "MFA code always rejected"],
        "Our employee {person} changed phones and can no longer log in; the code is always rejected.",
        ["WARN [auth] MFA challenge failed for user {user} (attempt {n} of 5)"],
        known_fix="mfa-reset",
        impact="low",
        weight=2,
    ),
    Scenario(
        "sso-clock",
        "identity",
        "sso-connector",
        ["SSO login fails for all our staff", "SAML error when logging in"],
        "Since {time} nobody in our company can log in with SSO; the error mentions an assertion.",
        [
            "ERROR [sso] SAML assertion not yet valid: NotBefore={time} now={time2} (tenant {tenant})"
        ],
        known_fix="sso-clock",
        impact="high",
        weight=1,
    ),
    Scenario(
        "session-logout",
        "identity",
        "auth-service",
        ["Users logged out every few minutes", "Session expires too early on mobile"],
        "Users are logged out after a few minutes instead of staying signed in for the day.",
        [
            "WARN [auth] Session {session} rejected: token signature invalid after key rotation",
            "INFO [auth] Rotated signing key {key}",
        ],
        bug="session-logout",
        impact="high",
        weight=2,
        docs={
            "steps_to_reproduce": "1. Log in on the mobile app.\n2. Wait for the hourly key rotation.\n3. Open any page.",
            "expected_result": "The user stays signed in.",
            "actual_result": "The user is sent back to the login page.",
        },
    ),
    Scenario(
        "push-cert",
        "notifications",
        "push",
        ["No push notifications on iPhone", "Push messages stopped for iOS users"],
        "Our iOS users no longer receive push notifications since {date}.",
        ["ERROR [push] APNs rejected notification {msg}: BadCertificate"],
        known_fix="push-cert",
        impact="medium",
        weight=1,
    ),
    Scenario(
        "dark-mode",
        "mobile-app",
        "ios",
        ["Please add a dark mode to the app", "Dark mode for the mobile app"],
        "Several of our users ask for a dark mode; our night-shift staff find the app too bright.",
        [],
        bug="dark-mode",
        category="feature",
        impact="low",
        weight=1,
        docs={
            "justification": "Night-shift staff at three customers use the app in the dark; "
            "requested by Acme Retail and Dune Health.",
            "impact_assessment": "About 1,200 daily users; no revenue at risk; eye strain complaints.",
        },
    ),
    Scenario(
        "export-csv-excel",
        "reporting",
        "exports",
        ["Export to Excel format", "Need XLSX exports instead of CSV"],
        "Our finance team needs exports as Excel files; CSV loses leading zeros of account numbers.",
        [],
        bug="export-xlsx",
        category="feature",
        impact="low",
        weight=1,
        docs={
            "justification": "Finance teams at two bank customers re-type account numbers.",
            "impact_assessment": "Two enterprise customers (Borealis Bank, Cobalt Logistics); renewal risk.",
        },
    ),
    Scenario(
        "sms-route",
        "notifications",
        "sms-gateway",
        ["SMS codes not arriving in Portugal", "One-time codes not delivered by SMS"],
        "Users with a +351 number do not receive the SMS code.",
        ["WARN [sms] Delivery report status=undeliverable carrier={carrier} to=+351******{n}"],
        known_fix="sms-route",
        impact="high",
        weight=1,
    ),
    Scenario(
        "queue-alerting",
        "notifications",
        "email-sender",
        ["Alert when the e-mail queue grows", "We only notice mail delays from customers"],
        "L2 learns about e-mail delays from customers; the queue depth is not monitored.",
        [],
        bug="queue-alerting",
        category="improvement",
        impact="low",
        weight=1,
        docs={
            "rationale": "Mail delays reach L2 through customers, 40 minutes after they start.",
            "expected_benefit": "Detect delays in 5 minutes; fewer cases.",
            "area": "reliability",
        },
    ),
    Scenario(
        "user-error",
        "reporting",
        "dashboards",
        ["Dashboard shows no data", "Numbers on the dashboard look wrong"],
        "The sales dashboard shows zero for last week.",
        [],
        impact="low",
        weight=2,
    ),
]

NOISE_LINES = [
    "INFO [http] GET /api/v2/orders/{order} 200 {ms} ms",
    "INFO [http] POST /api/v2/carts/{order}/items 201 {ms} ms",
    "DEBUG [pool] Connection {n} returned to pool db-main",
    "INFO [scheduler] Job cleanup-sessions finished in {ms} ms",
    "INFO [cache] Hit ratio {n}% over the last minute",
    "WARN [http] Slow request GET /api/v2/catalogue?page={n} {ms} ms",
]

"""The demo's world: services and components, organisations, people, teams and known fixes."""

from __future__ import annotations

DEMO_PASSWORD = "casebridge-demo"  # noqa: S105 - the documented demo password, printed by make run

SERVICES: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "payments": (
        "Card and wallet payments",
        [("Checkout API", True), ("Refunds", False), ("Fraud scoring", True)],
    ),
    "identity": (
        "Login, SSO and accounts",
        [("Auth service", True), ("SSO connector", False), ("Password reset", False)],
    ),
    "search": ("Catalogue search", [("Indexer", False), ("Query API", False)]),
    "notifications": (
        "E-mail, SMS and push",
        [("Email sender", False), ("SMS gateway", False), ("Push", False)],
    ),
    "reporting": ("Exports and dashboards", [("Exports", False), ("Dashboards", False)]),
    "mobile-app": ("iOS and Android apps", [("iOS", False), ("Android", False)]),
}

ORGANISATIONS = {
    "acme": "Acme Retail",
    "borealis": "Borealis Bank",
    "cobalt": "Cobalt Logistics",
    "dune": "Dune Health",
}

#: username: (full name, roles, level, organisation slug)
PEOPLE: dict[str, tuple[str, list[str], str, str]] = {
    "alice": ("Alice Martin", ["reporter"], "", "acme"),
    "arjun": ("Arjun Mehta", ["reporter"], "", "acme"),
    "bella": ("Bella Novak", ["reporter"], "", "borealis"),
    "bruno": ("Bruno Silva", ["reporter"], "", "borealis"),
    "chloe": ("Chloe Dubois", ["reporter"], "", "cobalt"),
    "dmitri": ("Dmitri Volkov", ["reporter"], "", "dune"),
    "glory": ("Grace Lory", ["partner"], "", ""),
    "liam": ("Liam O'Brien", ["l1_agent"], "", ""),
    "lena": ("Lena Fischer", ["l1_agent"], "", ""),
    "dana": ("Dana Kowalski", ["l2_engineer"], "", ""),
    "omar": ("Omar Haddad", ["l2_engineer"], "", ""),
    "yuki": ("Yuki Tanaka", ["l2_engineer"], "", ""),
    "rita": ("Rita Costa", ["rte"], "", ""),
    "paul": ("Paul Becker", ["product_manager"], "", ""),
    "jun": ("Jun Park", ["developer"], "L1", ""),
    "ana": ("Ana Lopez", ["developer"], "L2", ""),
    "sam": ("Sam Okafor", ["developer"], "L2", ""),
    "sofia": ("Sofia Rossi", ["developer"], "L3", ""),
    "viktor": ("Viktor Berg", ["developer"], "L3", ""),
    "leo": ("Leo Grant", ["developer"], "L4", ""),
    "dev_ops": ("Nina Petrova", ["devops"], "", ""),
    "quinn": ("Quinn Adams", ["qa"], "", ""),
    "admin": ("Ada Admin", ["admin"], "", ""),
}

TEAMS = {
    "Checkout squad": ("development", ["ana", "sofia", "jun", "leo"]),
    "Platform squad": ("development", ["sam", "viktor"]),
    "DevOps": ("devops", ["dev_ops"]),
}

#: key: (title, fix kind, services, symptoms, steps)
KNOWN_FIXES: dict[str, tuple[str, str, list[str], str, str]] = {
    "gateway-tls": (
        "Payment gateway connector rejects calls after certificate rotation",
        "restart_service",
        ["payments"],
        "Checkout fails with 502; logs show 'SSLHandshakeException: PKIX path building failed' "
        "from the gateway connector shortly after a certificate rotation.",
        "1. Confirm the new certificate is in the trust store (kubectl get secret gw-trust).\n"
        "2. Restart the gateway-connector deployment.\n"
        "3. Place a test payment with the sandbox card; it must succeed.",
    ),
    "export-stuck": (
        "Scheduled exports stuck in 'running' after a worker restart",
        "data_correction",
        ["reporting"],
        "Exports never finish; the export list shows 'running' for hours; logs show "
        "'lease expired for job' warnings.",
        "1. Find the stuck jobs: SELECT id FROM export_job WHERE state='running' AND "
        "heartbeat < now() - interval '15 min'.\n2. Set them back to 'queued'.\n"
        "3. Watch one complete and tell the customer.",
    ),
    "smtp-throttle": (
        "E-mails delayed: SMTP relay throttling",
        "configuration_change",
        ["notifications"],
        "Password reset and receipt e-mails arrive 30+ minutes late; logs show "
        "'421 4.7.0 Try again later' from the relay.",
        "1. Raise smtp.max_per_minute from 200 to 600 in the notifications config.\n"
        "2. Reload the email-sender.\n3. Check the queue drains within 10 minutes.",
    ),
    "index-resync": (
        "Search results missing new products: re-sync the tenant index",
        "data_correction",
        ["search"],
        "New or changed products do not appear in search; indexer logs show "
        "'bulk request rejected: version conflict'.",
        "1. Run the re-sync for the tenant: indexer-cli resync --tenant <id>.\n"
        "2. Wait for 'resync done' in the logs.\n3. Search for a recently added product.",
    ),
    "mfa-reset": (
        "User locked out after changing phone: reset MFA device",
        "data_correction",
        ["identity"],
        "User cannot log in: 'MFA challenge failed' repeatedly after they replaced their phone.",
        "1. Verify the user's identity through the customer's admin.\n"
        "2. Reset the MFA device in the admin console.\n3. Ask the user to enrol again.",
    ),
    "sso-clock": (
        "SSO login fails: identity provider clock skew",
        "configuration_change",
        ["identity"],
        "SSO logins fail with 'SAML assertion not yet valid' or 'assertion expired'.",
        "1. Raise saml.allowed_clock_skew to 120 s for the tenant.\n"
        "2. Ask the customer to fix NTP on their identity provider.",
    ),
    "push-cert": (
        "Push notifications stop: APNs certificate expired",
        "configuration_change",
        ["notifications", "mobile-app"],
        "iOS users receive no push notifications; logs show 'BadCertificate' from APNs.",
        "1. Upload the renewed APNs certificate in the push settings.\n"
        "2. Restart the push service.\n3. Send a test notification.",
    ),
    "sms-route": (
        "SMS codes not delivered to one country: switch the route",
        "workaround",
        ["notifications"],
        "SMS one-time codes are not delivered for numbers of one country; gateway replies "
        "'status=undeliverable carrier=...'.",
        "1. Switch the country's route to the secondary SMS provider.\n"
        "2. Send a test code to a number in that country.",
    ),
}

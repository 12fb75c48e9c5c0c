"""A tiny Django project that is an OpenID Connect provider (django-oauth-toolkit), run in its
own process by ``tests.servers.oidc.OidcProvider``. Never imported by Casebridge itself."""

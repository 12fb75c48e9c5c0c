"""The page an invitation's link opens: choose a password, then sign in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Django's token check (one use, time-limited); the token leaves the URL at once."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response: HttpResponse = super().form_valid(form)
        messages.success(self.request, "Your password is set. Sign in with it.")
        return response

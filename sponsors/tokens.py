"""JWT refresh tokens that can be used once, even by requests that arrive together."""

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken


class SingleUseRefreshToken(RefreshToken):
    """A refresh token whose use (a refresh, a logout) is its insert into the blacklist.

    simplejwt checks the blacklist when it reads the token and adds the token to it later, so two
    requests with one token could both pass the check. The blacklist holds one row per token (a
    unique constraint): of concurrent inserts one wins, the others wait for its commit and find the
    row, and only the winner goes on. Call `blacklist()` inside the transaction that issues anything
    in exchange, so a failure after it gives the token back.
    """

    def blacklist(self):
        blacklisted, created = super().blacklist()
        if not created:
            raise TokenError(_("Token is blacklisted"))
        return blacklisted, created

"""Concurrent uses of one refresh token (QUALITY.md "Security" 13): of N at once, exactly one succeeds.

Real threads, each on its own PostgreSQL connection, released together by a barrier.
"""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.concurrency import run_together
from tests.factories import UserFactory

API = "/api/v1"

pytestmark = pytest.mark.django_db(transaction=True)


def refresh(token: str):
    return APIClient().post(f"{API}/auth/token/refresh", {"refresh": token}, format="json")


def logout(access: str, token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post(f"{API}/auth/logout", {"refresh": token}, format="json")


@pytest.fixture
def pair(settings):
    # Ten requests from one test address: the per-address login throttle is not what is tested here.
    settings.API_THROTTLING = False
    user = UserFactory()
    token = RefreshToken.for_user(user)
    return user, str(token.access_token), str(token)


@pytest.mark.parametrize("run", range(3))
def test_of_ten_concurrent_refreshes_of_one_token_exactly_one_succeeds(pair, run):
    user, _, token = pair

    responses = run_together(lambda n: refresh(token), 10)

    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(ok) == 1, [r.status_code for r in responses]
    for response in refused:
        assert response.status_code == 401, response.content
        assert response.json()["errors"][0]["code"] == "token_not_valid"
    # One new token family: the winner's refresh token, outstanding and alive; the used one blacklisted.
    fresh = ok[0].json()["refresh"]
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert list(BlacklistedToken.objects.values_list("token__token", flat=True)) == [token]
    assert refresh(fresh).status_code == 200


def test_a_logout_racing_refreshes_leaves_exactly_one_winner(pair):
    user, access, token = pair

    responses = run_together(lambda n: logout(access, token) if n == 0 else refresh(token), 6)

    winners = [n for n, r in enumerate(responses) if r.status_code in (200, 204)]
    assert len(winners) == 1, [r.status_code for r in responses]
    for n, response in enumerate(responses):
        if n not in winners:
            assert response.json()["errors"][0]["code"] == "token_not_valid", response.content
    assert BlacklistedToken.objects.count() == 1
    # Whoever won, the token is dead; only a refresh that won left a live family.
    assert refresh(token).status_code == 401
    if winners == [0]:
        assert OutstandingToken.objects.filter(user=user).count() == 1
    else:
        assert refresh(responses[winners[0]].json()["refresh"]).status_code == 200

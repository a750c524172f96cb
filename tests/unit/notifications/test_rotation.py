"""The HTTP/2 client's pool rotation (notifications/gateways/rotation.py): a new pool every
``max_requests`` requests, and an old pool closed only once its last response is closed."""

import asyncio

import httpx
import pytest

from notifications.gateways.rotation import RotatingTransport


class Pool(httpx.AsyncBaseTransport):
    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert not self.closed, "a request was sent on a closed pool"
        return httpx.Response(200, stream=httpx.ByteStream(str(self.number).encode()))

    async def aclose(self) -> None:
        self.closed = True


def transport(max_requests: int) -> tuple[RotatingTransport, list[Pool]]:
    pools: list[Pool] = []

    def new() -> Pool:
        pools.append(Pool(len(pools)))
        return pools[-1]

    return RotatingTransport(new, max_requests), pools


@pytest.mark.parametrize(("requests", "expected_pools"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3)])
def test_a_new_pool_every_max_requests(requests: int, expected_pools: int) -> None:
    async def go() -> list[str]:
        rotating, pools = transport(3)
        async with httpx.AsyncClient(transport=rotating) as client:
            answers = [(await client.get("https://gw.example/")).text for _ in range(requests)]
        assert len(pools) == expected_pools and all(pool.closed for pool in pools)
        return answers

    answers = asyncio.run(go())
    assert answers == [str(n // 3) for n in range(requests)]


def test_a_retired_pool_closes_when_its_last_response_is_closed() -> None:
    async def go() -> None:
        rotating, pools = transport(2)
        async with httpx.AsyncClient(transport=rotating) as client:
            first = await client.send(
                client.build_request("GET", "https://gw.example/"), stream=True
            )
            second = await client.send(
                client.build_request("GET", "https://gw.example/"), stream=True
            )
            third = await client.get("https://gw.example/")  # the second pool's first
            assert third.text == "1"
            assert not pools[0].closed  # two responses of the first pool still open
            await first.aread()
            await first.aclose()
            assert not pools[0].closed
            await second.aclose()
            assert pools[0].closed and not pools[1].closed
        assert pools[1].closed

    asyncio.run(go())


def test_a_failed_request_releases_its_pool() -> None:
    class Failing(Pool):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused")

    async def go() -> None:
        made: list[Pool] = []

        def new() -> Pool:
            made.append(Failing(len(made)) if not made else Pool(len(made)))
            return made[-1]

        rotating = RotatingTransport(new, 1)
        async with httpx.AsyncClient(transport=rotating) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("https://gw.example/")
            assert (await client.get("https://gw.example/")).text == "1"
            assert made[0].closed  # nothing was open on it when it was retired

    asyncio.run(go())


def test_max_requests_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RotatingTransport(lambda: Pool(0), 0)

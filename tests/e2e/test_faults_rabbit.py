"""RabbitMQ killed and restarted under a load of slow streams, on a private node.

The services (history, chat-gateway, two dify-workers as real processes) use a RabbitMQ node
of the test's own (own node name, AMQP, distribution and epmd ports, mnesia and log
directories and Erlang cookie; `rechat_shared.testing.private_infra`); MariaDB and Redis are
the machine's. While the broker is down a new turn is refused with a JSON 503 `bus_unavailable`
and `Retry-After` (nothing is recorded for it); the answers already streaming go on (tokens go
through Redis); when the node is back (with its durable queues) every service reconnects by
itself, the completions that could not be published reach history, and no accepted turn is
lost, hung, generated twice or stored differently from what the user saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.fault_load import FaultStack, report, running_stack, stack_env
from rechat_shared.testing.infra import REDIS_URL
from rechat_shared.testing.private_infra import PrivateRabbitMQ

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SHORT = "[[tokens:60]][[tps:10]]"  # 6 s: ends while the broker is away
LONG = "[[tokens:400]][[tps:10]]"  # 40 s: still streaming when the broker is back


@pytest.fixture(scope="module")
def rabbitmq() -> Iterator[PrivateRabbitMQ]:
    with PrivateRabbitMQ.running() as node:
        yield node


@pytest.fixture(scope="module")
async def stack(
    rabbitmq: PrivateRabbitMQ,
    mariadb_url: str,
    run_id: str,
    dify_emulator: RunningEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[FaultStack]:
    env = stack_env(
        database_url=mariadb_url,
        rabbitmq_url=rabbitmq.url,
        redis_url=REDIS_URL,
        prefix=f"{run_id}.faultmq",
        data_dir=tmp_path_factory.mktemp("faultmq"),
    )
    async with running_stack(env, tmp_path_factory.mktemp("faultmq-logs"), dify_emulator) as s:
        yield s


async def test_rabbitmq_killed_under_load_refuses_new_turns_and_loses_nothing(
    stack: FaultStack, rabbitmq: PrivateRabbitMQ
) -> None:
    users = [stack.user() for _ in range(10)]
    turns = stack.launch(users, 20, SHORT) + stack.launch(users, 10, LONG)
    await stack.all_accepted(turns)
    assert all(turn.accepted.is_set() for turn in turns), [t.body for t in turns]

    rabbitmq.kill()
    refused = stack.launch(users, 10, SHORT)
    await stack.all_accepted(refused)
    for turn in refused:
        assert turn.status == 503, (turn.status, turn.body, turn.error)
        assert turn.body["error"] == "bus_unavailable"
        assert int(turn.retry_after or 0) > 0

    rabbitmq.start()
    back = time.monotonic()
    while True:  # the first turn accepted again is the gateway's recovery
        [probe] = stack.launch(users, 1, "[[tokens:3]]")
        await stack.all_accepted([probe])
        if probe.accepted.is_set():
            break
        assert probe.status == 503, (probe.status, probe.body, probe.error)
        assert time.monotonic() - back < 120, "the gateway did not reconnect in 120 s"
        await asyncio.sleep(0.2)
    recovery = time.monotonic() - back

    account = await stack.account([*turns, probe])
    report("rabbitmq kill -9, restart", account, recovery_seconds=round(recovery, 2))
    assert account.accepted == len(turns) + 1
    assert account.lost == []
    assert account.hung == []
    assert account.duplicated == []
    assert account.stored_differs == []
    assert account.locks_held == []
    assert account.errors == []

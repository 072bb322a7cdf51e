"""Builders of the JSON objects Dify puts in its events and answers, per profile."""

from __future__ import annotations

from typing import Any

from rechat_dify_emulator.profiles import Profile
from rechat_dify_emulator.store import now


def usage(
    profile: Profile, prompt_tokens: int, completion_tokens: int, latency: float
) -> dict[str, Any]:
    """LLMUsage with decimal strings: 12 keys in 0.15, 14 today."""
    body: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "prompt_unit_price": "0",
        "prompt_price_unit": "0",
        "prompt_price": "0E-7",
        "completion_tokens": completion_tokens,
        "completion_unit_price": "0",
        "completion_price_unit": "0",
        "completion_price": "0E-7",
        "total_tokens": prompt_tokens + completion_tokens,
        "total_price": "0E-7",
        "currency": "USD",
        "latency": round(latency, 6),
    }
    if profile.full_usage:
        body["time_to_first_token"] = None
        body["time_to_generate"] = None
    return body


def empty_usage(profile: Profile) -> dict[str, Any]:
    """``LLMUsage.empty_usage()`` (a stopped chatflow's ``message_end``): every price ``0.0``."""
    body = usage(profile, 0, 0, 0.0)
    for key, value in body.items():
        if isinstance(value, str) and key != "currency":
            body[key] = "0.0"
    return body


def metadata(
    profile: Profile, usage_body: dict[str, Any], citations: list[dict[str, Any]]
) -> dict[str, Any]:
    if profile.full_metadata:
        return {"annotation_reply": None, "retriever_resources": citations, "usage": usage_body}
    if citations:
        return {"retriever_resources": citations, "usage": usage_body}
    return {"usage": usage_body}


def node_started(
    profile: Profile,
    node_execution_id: str,
    node: tuple[str, str, str],
    index: int,
    predecessor: str | None,
) -> dict[str, Any]:
    node_id, node_type, title = node
    data: dict[str, Any] = {
        "id": node_execution_id,
        "node_id": node_id,
        "node_type": node_type,
        "title": title,
        "index": index,
        "predecessor_node_id": predecessor,
        "inputs": None,
    }
    if profile.workflow_sequence_numbers:
        data.update(
            created_at=now(),
            extras={},
            parallel_id=None,
            parallel_start_node_id=None,
            parent_parallel_id=None,
            parent_parallel_start_node_id=None,
            iteration_id=None,
            parallel_run_id=None,
        )
    else:
        data.update(
            inputs_truncated=False,
            created_at=now(),
            extras={},
            iteration_id=None,
            loop_id=None,
            agent_strategy=None,
        )
    return data


def node_finished(
    profile: Profile,
    started: dict[str, Any],
    *,
    inputs: Any,
    outputs: Any,
    process_data: Any = None,
    status: str = "succeeded",
    error: str | None = None,
    elapsed: float = 0.01,
    execution_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: started[key]
        for key in ("id", "node_id", "node_type", "title", "index", "predecessor_node_id")
    }
    data["inputs"] = inputs
    if profile.workflow_sequence_numbers:
        data.update(
            process_data=process_data,
            outputs=outputs,
            status=status,
            error=error,
            elapsed_time=elapsed,
            execution_metadata=execution_metadata,
            created_at=started["created_at"],
            finished_at=now(),
            files=[],
            parallel_id=None,
            parallel_start_node_id=None,
            parent_parallel_id=None,
            parent_parallel_start_node_id=None,
            iteration_id=None,
        )
    else:
        data.update(
            inputs_truncated=False,
            process_data=process_data,
            process_data_truncated=False,
            outputs=outputs,
            outputs_truncated=False,
            status=status,
            error=error,
            elapsed_time=elapsed,
            execution_metadata=execution_metadata,
            created_at=started["created_at"],
            finished_at=now(),
            files=[],
            iteration_id=None,
            loop_id=None,
        )
    return data


def llm_process_data(query: str) -> dict[str, Any]:
    return {
        "model_mode": "chat",
        "prompts": [
            {"role": "system", "text": "You are the emulator.", "files": []},
            {"role": "user", "text": query, "files": []},
        ],
        "model_provider": "openai_api_compatible",
        "model_name": "emulator-gpt",
    }


def llm_execution_metadata(total_tokens: int) -> dict[str, Any]:
    return {"total_tokens": total_tokens, "total_price": "0.0000000", "currency": "USD"}


def sse(profile: Profile, payload: dict[str, Any]) -> bytes:
    """One SSE frame: ``data: <json>\\n\\n``."""
    return b"data: " + profile.stream_json(payload).encode() + b"\n\n"


PING = b"event: ping\n\n"

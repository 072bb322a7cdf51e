"""Dify events of every app mode (from the emulator) mapped to stream events."""

from __future__ import annotations

from rechat_shared.dify import ChatRequest, DifyClient, WorkflowRunRequest
from rechat_shared.testing.emulator import RunningEmulator
from rechat_worker.mapping import EventMapper, Mapped, workflow_text


async def _mapped(stream: object) -> tuple[list[Mapped], EventMapper]:
    mapper = EventMapper()
    events: list[Mapped] = []
    async with stream as opened:  # type: ignore[attr-defined]
        async for event in opened:
            events.extend(mapper.map(event))
    return events, mapper


async def test_chat_deltas_add_up_to_the_answer_with_citations_and_usage(
    dify_emulator: RunningEmulator,
) -> None:
    async with DifyClient() as dify:
        stream = dify.stream_chat(
            dify_emulator.app("chat"), ChatRequest(query="[[tokens:5]] [[cite]]", user="u")
        )
        events, mapper = await _mapped(stream)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert "".join(deltas) == "t0 t1 t2 t3 t4 "
    assert mapper.answer.text == "t0 t1 t2 t3 t4 "
    assert [c["document_name"] for c in mapper.answer.citations] == [
        "getting-started.md",
        "magic-words.md",
    ]
    assert mapper.answer.usage is not None
    assert mapper.answer.usage.total_tokens > 0


async def test_agent_thoughts_become_thought_events(dify_emulator: RunningEmulator) -> None:
    async with DifyClient() as dify:
        stream = dify.stream_chat(
            dify_emulator.app("agent-chat"), ChatRequest(query="[[tools]] weather?", user="u")
        )
        events, mapper = await _mapped(stream)
    thoughts = [data for name, data in events if name == "thought"]
    assert thoughts, events
    assert set(thoughts[0]) == {"id", "position", "thought", "tool", "tool_input", "observation"}
    assert mapper.answer.thoughts
    assert mapper.answer.text


async def test_workflow_nodes_report_progress_and_text(dify_emulator: RunningEmulator) -> None:
    async with DifyClient() as dify:
        stream = dify.stream_workflow(
            dify_emulator.app("workflow"),
            WorkflowRunRequest(user="u", inputs={"query": "[[tokens:3]]"}),
        )
        events, mapper = await _mapped(stream)
    nodes = [data for name, data in events if name == "node"]
    assert {node["status"] for node in nodes} >= {"running", "succeeded"}
    assert all(node["node_type"] for node in nodes)
    assert mapper.answer.text


def test_workflow_text_prefers_named_outputs() -> None:
    assert workflow_text({"answer": "a", "other": "b"}) == "a"
    assert workflow_text({"only": "x", "n": 1}) == "x"
    assert workflow_text({"a": 1}) == '{\n  "a": 1\n}'

"""Dify events of every app mode (from the emulator) mapped to stream events."""

from __future__ import annotations

from rechat_shared.dify import (
    ChatRequest,
    DifyClient,
    MessagePage,
    WorkflowRunRequest,
    parse_event,
)
from rechat_shared.dify.sse import iter_frames
from rechat_shared.testing.emulator import (
    Recording,
    RunningEmulator,
    fixtures_dir,
    load_recording,
)
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


def _recording(name: str) -> Recording:
    return load_recording(fixtures_dir().parent / "dify-0.15.3-more" / f"{name}.http")


def test_a_recorded_react_agent_turn_shows_its_steps_and_stores_only_the_final_answer() -> None:
    """Real Dify streams the ReAct thoughts as `agent_message` deltas before and after the tool
    round; its stored `answer` is only the final text (agent_tool_* recordings)."""
    mapper = EventMapper()
    events: list[Mapped] = []
    for name, data in iter_frames([_recording("agent_tool_stream_react").body]):
        if data:
            events.extend(mapper.map(parse_event(data, name)))
    steps = list(mapper.answer.thoughts.values())
    assert [step["position"] for step in steps] == [1, 2]
    assert steps[0]["thought"] == "I should check the current time."
    assert steps[0]["tool"] == "current_time"
    assert steps[0]["observation"] == '{"current_time": "2026-12-02 17:32:35"}'
    # the text streamed during step 1 moved out of the answer when step 2 began
    assert ("replace", {"text": ""}) in events
    listing = MessagePage.model_validate_json(_recording("agent_tool_messages_list").body).data[-1]
    final = mapper.stored_agent_message(listing)
    assert mapper.answer.text == "Agent says: What time is it? done" == listing.answer
    assert final[-1] == ("replace", {"text": "Agent says: What time is it? done"})
    assert [step["thought"] for step in mapper.answer.thoughts.values()] == [
        "I should check the current time.",
        "Agent says: What time is it? done",
    ]

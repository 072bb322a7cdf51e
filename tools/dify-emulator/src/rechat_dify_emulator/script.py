"""Scripted behaviour of one generation: magic words in the query (see the README)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAGIC = re.compile(r"\[\[([a-z_-]+)(?::([^\]]*))?\]\]")

ECHO_TAIL = (
    " | this is a deterministic reply from the fake model used for recording fixtures"
    " with some extra words"
)

# The reference answer of the Open WebUI comparison screens (markdown-top, markdown-bottom).
MARKDOWN_ANSWER = """# Release notes

Here is **markdown** with `inline code` and *emphasis*.

## A list

- first item
- second item with a [link](https://example.com)
  1. nested one
  2. nested two

## A table

| Feature | Status | Notes |
|---------|--------|-------|
| Tables  | yes    | GFM   |
| Math    | yes    | KaTeX |
| Mermaid | yes    | diagrams |

## Code

```python
def hello(name: str) -> str:
    \"\"\"Greet someone.\"\"\"
    return f"Hello, {name}!"

print(hello("world"))
```

## Math

Inline math $E = mc^2$ and a block:

$$
\\int_0^1 x^2 \\, dx = \\frac{1}{3}
$$

## Diagram

```mermaid
graph TD
    A[User] --> B{Front end}
    B -->|SSE| C[Gateway]
    C --> D[Dify]
```

> A blockquote to finish.
"""

XSS_ANSWER = (
    "Careful: <script>alert('xss')</script> and "
    '<img src=x onerror="alert(document.cookie)"> and '
    '<a href="javascript:alert(1)">click me</a> should render as text. '
    "[md link](javascript:alert(2))"
)

CITATIONS = [
    {
        "position": 1,
        "dataset_id": "8f0a4f5e-2d1c-4c8e-9b1a-6f3e2d1c0b9a",
        "dataset_name": "Emulator handbook",
        "document_id": "5b2c3d4e-1f0a-4b9c-8d7e-6f5a4b3c2d1e",
        "document_name": "getting-started.md",
        "data_source_type": "upload_file",
        "segment_id": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "retriever_from": "api",
        "score": 0.87,
        "hit_count": 3,
        "word_count": 120,
        "segment_position": 2,
        "index_node_hash": "a1b2c3d4",
        "content": "The emulator speaks Dify's Service API.",
        "page": None,
        "doc_metadata": None,
        "title": "getting-started.md",
    },
    {
        "position": 2,
        "dataset_id": "8f0a4f5e-2d1c-4c8e-9b1a-6f3e2d1c0b9a",
        "dataset_name": "Emulator handbook",
        "document_id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
        "document_name": "magic-words.md",
        "data_source_type": "upload_file",
        "segment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "retriever_from": "api",
        "score": 0.74,
        "hit_count": 1,
        "word_count": 80,
        "segment_position": 1,
        "index_node_hash": "e5f6a7b8",
        "content": "Magic words script the answer.",
        "page": None,
        "doc_metadata": None,
        "title": "magic-words.md",
    },
]


@dataclass(frozen=True)
class Script:
    """What one generation does. Times are seconds."""

    chunks: list[str] = field(default_factory=list)
    token_delay: float = 0.0
    first_token_delay: float = 0.0
    stall: bool = False
    midstream_error: bool = False
    eof: bool = False
    crash: bool = False
    error_code: str | None = None
    html_status: int | None = None
    cite: bool = False
    tools: bool = False
    tool_observed_first: bool = False
    replace_with: str | None = None
    file_chunks: bool = False
    image: bool = False
    drop: frozenset[str] = frozenset()
    linger: float = 0.0
    chatflow_order: str | None = None
    error_after: int = 4

    @property
    def answer(self) -> str:
        return "".join(self.chunks)


def split_words(text: str) -> list[str]:
    """Word-sized chunks that keep their trailing space (what Dify's fake model streamed)."""
    return [match.group(0) for match in re.finditer(r"\S+\s*|\s+", text)]


def split_size(text: str, size: int) -> list[str]:
    return [text[index : index + size] for index in range(0, len(text), size)] or [""]


def parse_script(query: str, default_delay: float) -> Script:
    """Read the magic words of ``query``; without any, the answer echoes the query."""
    words = {name: value for name, value in MAGIC.findall(query)}
    clean = MAGIC.sub("", query).strip()
    text = f"Echo: {clean}{ECHO_TAIL}"
    script = Script(token_delay=default_delay)
    chunk_size: int | None = None
    if "markdown" in words:
        text, chunk_size = MARKDOWN_ANSWER, 8
    if "xss" in words:
        text, chunk_size = XSS_ANSWER, 8
    chunks = split_size(text, chunk_size) if chunk_size else split_words(text)
    if "tokens" in words:
        count = max(0, int(words["tokens"] or 0))
        chunks = [f"t{index} " for index in range(count)]
        script = replace(script, token_delay=0.0)
    if "slow" in words:
        chunks = [f"slow{index} " for index in range(50)]
        script = replace(script, token_delay=0.1)
    if "chunk" in words:
        chunks = split_size("".join(chunks), max(1, int(words["chunk"] or 1)))
    return _knobs(replace(script, chunks=chunks), words)


def _knobs(script: Script, words: dict[str, str]) -> Script:
    changes: dict[str, object] = {}
    if "tps" in words:
        changes["token_delay"] = 1.0 / max(0.001, float(words["tps"] or 1))
    if "ttft" in words:
        changes["first_token_delay"] = float(words["ttft"] or 0) / 1000.0
    if "stall" in words:
        changes["stall"] = True
    if "midstream-error" in words:
        changes["midstream_error"] = True
    if "eof" in words:
        changes["eof"] = True
        changes["crash"] = words["eof"] == "crash"
    if "error" in words:
        changes["error_code"] = words["error"] or "internal_server_error"
    if "html" in words:
        changes["html_status"] = int(words["html"] or 504)
    if "cite" in words:
        changes["cite"] = True
    if "tools" in words:
        changes["tools"] = True
        changes["tool_observed_first"] = words["tools"] == "observed"
    if "file-chunks" in words:
        changes["file_chunks"] = True
    if "image" in words:
        changes["image"] = True
    if "replace" in words:
        changes["replace_with"] = words["replace"] or "[answer replaced by moderation]"
    if "drop" in words:
        changes["drop"] = frozenset((words["drop"] or "").split(","))
    if "linger" in words:
        changes["linger"] = float(words["linger"] or 5)
    if "order" in words:
        changes["chatflow_order"] = words["order"]
    return replace(script, **changes)  # type: ignore[arg-type]

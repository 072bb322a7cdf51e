// Applies one chat stream event (docs/ARCHITECTURE.md, "SSE stream events") to the answer being built.
import type { Citation, Message, MessageFile, Thought, Usage, WorkflowNode } from '@/api/types'

export type StreamEvent =
  | {
      event: 'start'
      data: { conversation_id: string; message_id: string; user_message_id: string }
    }
  | { event: 'delta'; data: { text: string } }
  | { event: 'replace'; data: { text: string } }
  | { event: 'thought'; data: Thought }
  | { event: 'node'; data: WorkflowNode }
  | { event: 'file'; data: MessageFile }
  | { event: 'restart'; data: Record<string, never> }
  | {
      event: 'done'
      data: {
        status: 'done' | 'stopped'
        usage?: Usage | null
        citations?: Citation[] | null
        suggested_questions?: string[] | null
      }
    }
  | { event: 'error'; data: { code: string; message: string } }

export function parseStreamEvent(event: string, data: string): StreamEvent | null {
  try {
    return { event, data: JSON.parse(data) } as StreamEvent
  } catch {
    return null
  }
}

function upsert<T extends { id?: string }>(list: T[] | null, item: T): T[] {
  const next = [...(list ?? [])]
  const at = next.findIndex((existing) => existing.id === item.id)
  if (at === -1) next.push(item)
  else next[at] = item
  return next
}

/** Mutates `answer` in place (it is a reactive object in the store). */
export function applyStreamEvent(answer: Message, event: StreamEvent): void {
  switch (event.event) {
    case 'start':
      answer.id = event.data.message_id
      answer.conversation_id = event.data.conversation_id
      break
    case 'delta':
      answer.content += event.data.text
      break
    case 'replace':
      answer.content = event.data.text
      break
    case 'thought':
      answer.thoughts = upsert(answer.thoughts, event.data).sort((a, b) => a.position - b.position)
      break
    case 'node':
      answer.nodes = upsert(answer.nodes, event.data)
      break
    case 'file':
      answer.files = upsert(answer.files, event.data)
      break
    case 'restart':
      // The worker retried from scratch: drop everything shown so far.
      answer.content = ''
      answer.thoughts = []
      answer.nodes = []
      answer.files = []
      break
    case 'done':
      answer.status = event.data.status
      answer.usage = event.data.usage ?? null
      answer.citations = event.data.citations ?? null
      answer.suggested_questions = event.data.suggested_questions ?? []
      break
    case 'error':
      answer.status = 'failed'
      answer.error = { code: event.data.code, message: event.data.message }
      break
  }
}

export function emptyAnswer(conversationId: string, id = 'pending'): Message {
  return {
    id,
    conversation_id: conversationId,
    role: 'assistant',
    content: '',
    status: 'pending',
    error: null,
    regenerate_of: null,
    usage: null,
    citations: null,
    thoughts: null,
    nodes: null,
    feedback: null,
    inputs: null,
    files: null,
    suggested_questions: null,
    timings: null,
    created_at: new Date().toISOString(),
  }
}

import { describe, expect, it } from 'vitest'
import { applyStreamEvent, emptyAnswer, parseStreamEvent } from './streamReducer'

const apply = (events: [string, unknown][]) => {
  const answer = emptyAnswer('c1')
  for (const [name, data] of events)
    applyStreamEvent(answer, parseStreamEvent(name, JSON.stringify(data))!)
  return answer
}

describe('applyStreamEvent', () => {
  it('builds the answer from start, deltas and done', () => {
    const answer = apply([
      ['start', { conversation_id: 'c9', message_id: 'm2', user_message_id: 'm1' }],
      ['delta', { text: 'Hel' }],
      ['delta', { text: 'lo' }],
      [
        'done',
        {
          status: 'done',
          usage: { total_tokens: 5 },
          citations: [],
          suggested_questions: ['More?'],
        },
      ],
    ])
    expect(answer).toMatchObject({
      id: 'm2',
      conversation_id: 'c9',
      content: 'Hello',
      status: 'done',
      suggested_questions: ['More?'],
    })
    expect(answer.usage).toEqual({ total_tokens: 5 })
  })

  it('restart clears the partial answer, thoughts and nodes', () => {
    const answer = apply([
      ['delta', { text: 'partial' }],
      [
        'thought',
        { id: 't1', position: 1, thought: 'x', tool: '', tool_input: '', observation: '' },
      ],
      [
        'node',
        {
          id: 'n1',
          node_id: 'llm',
          node_type: 'llm',
          title: 'LLM',
          status: 'running',
          elapsed_time: null,
        },
      ],
      ['restart', {}],
      ['delta', { text: 'fresh' }],
    ])
    expect(answer.content).toBe('fresh')
    expect(answer.thoughts).toEqual([])
    expect(answer.nodes).toEqual([])
  })

  it('replace swaps the text; thoughts and nodes update in place', () => {
    const answer = apply([
      ['delta', { text: 'draft' }],
      ['replace', { text: 'final' }],
      [
        'node',
        {
          id: 'n1',
          node_id: 'llm',
          node_type: 'llm',
          title: 'LLM',
          status: 'running',
          elapsed_time: null,
        },
      ],
      [
        'node',
        {
          id: 'n1',
          node_id: 'llm',
          node_type: 'llm',
          title: 'LLM',
          status: 'succeeded',
          elapsed_time: 0.4,
        },
      ],
      [
        'thought',
        { id: 't2', position: 2, thought: 'b', tool: '', tool_input: '', observation: '' },
      ],
      [
        'thought',
        { id: 't1', position: 1, thought: 'a', tool: '', tool_input: '', observation: '' },
      ],
    ])
    expect(answer.content).toBe('final')
    expect(answer.nodes).toHaveLength(1)
    expect(answer.nodes![0]!.status).toBe('succeeded')
    expect(answer.thoughts!.map((t) => t.id)).toEqual(['t1', 't2'])
  })

  it('error marks the answer failed with the message', () => {
    const answer = apply([['error', { code: 'dify_unavailable', message: 'Dify is down' }]])
    expect(answer.status).toBe('failed')
    expect(answer.error).toEqual({ code: 'dify_unavailable', message: 'Dify is down' })
  })

  it('ignores frames whose data is not JSON', () => {
    expect(parseStreamEvent('delta', 'not json')).toBeNull()
  })
})

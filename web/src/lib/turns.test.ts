import { describe, expect, it } from 'vitest'
import type { Message } from '@/api/types'
import { emptyAnswer } from './streamReducer'
import { buildTurns } from './turns'

const msg = (
  id: string,
  role: 'user' | 'assistant',
  regenerate_of: string | null = null,
): Message => ({
  ...emptyAnswer('c1', id),
  role,
  regenerate_of,
})

describe('buildTurns', () => {
  it('pairs questions with answers', () => {
    const turns = buildTurns([
      msg('u1', 'user'),
      msg('a1', 'assistant'),
      msg('u2', 'user'),
      msg('a2', 'assistant'),
    ])
    expect(turns.map((t) => t.variants.map((v) => `${v.user.id}/${v.answer?.id}`))).toEqual([
      ['u1/a1'],
      ['u2/a2'],
    ])
  })

  it('folds a regenerated turn into the turn it redoes', () => {
    const turns = buildTurns([
      msg('u1', 'user'),
      msg('a1', 'assistant'),
      msg('u1b', 'user', 'u1'),
      msg('a1b', 'assistant', 'a1'),
      msg('u1c', 'user', null),
      msg('a1c', 'assistant', 'a1b'),
    ])
    expect(turns).toHaveLength(1)
    expect(turns[0]!.variants.map((v) => v.answer?.id)).toEqual(['a1', 'a1b', 'a1c'])
  })

  it('keeps a question still waiting for its answer', () => {
    const turns = buildTurns([msg('u1', 'user')])
    expect(turns[0]!.variants[0]!.answer).toBeNull()
  })
})

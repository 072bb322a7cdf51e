// A turn the server never accepted (it failed before its stream's `start`) offers no actions
// that would ask the server about it: no 👍/👎, no Regenerate.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { chatApi } from '@/api/chat'
import { ApiError } from '@/api/http'
import type { Message } from '@/api/types'
import { i18n } from '@/i18n'
import { emptyAnswer } from '@/lib/streamReducer'
import { useChatStore } from '@/stores/chat'
import MessageActions from './MessageActions.vue'

vi.mock('vue-sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }))
vi.mock('@/api/chat', () => ({
  chatApi: {
    send: vi.fn(),
    resume: vi.fn(),
    regenerate: vi.fn(),
    stop: vi.fn(),
    feedback: vi.fn(),
  },
}))

function labels(message: Message): string[] {
  const wrapper = mount(MessageActions, {
    props: { message, app: null, variant: 0, variants: 1, last: true },
    global: { plugins: [i18n] },
  })
  return wrapper.findAll('button').map((button) => button.attributes('aria-label') ?? '')
}

/** What the store holds after a send the gateway refused before the stream started. */
async function refusedTurn(): Promise<Message> {
  vi.mocked(chatApi.send).mockRejectedValue(
    new ApiError(422, 'validation_error', 'query: too long'),
  )
  const chat = useChatStore()
  await chat.send({ app_id: 'app', query: 'x' })
  await flushPromises()
  return chat.messages[chat.messages.length - 1]!
}

describe('actions of an answer', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.clearAllMocks()
  })

  it('offers rating and Regenerate on an answer the server stored', () => {
    const stored = { ...emptyAnswer('c1', 'a1b2'), status: 'done' as const, content: 'hi' }
    expect(labels(stored)).toEqual(
      expect.arrayContaining(['Copy', 'Good Response', 'Bad Response', 'Regenerate']),
    )
  })

  it('offers neither on a turn that failed before it started', async () => {
    const failed = await refusedTurn()
    expect(failed.status).toBe('failed')
    const shown = labels(failed)
    expect(shown).toContain('Copy')
    expect(shown).not.toContain('Good Response')
    expect(shown).not.toContain('Bad Response')
    expect(shown).not.toContain('Regenerate')
  })

  it('never asks the server about such a turn', async () => {
    const failed = await refusedTurn()
    const chat = useChatStore()
    await chat.rate(failed, 'like')
    await chat.regenerate(failed.id)
    expect(chatApi.feedback).not.toHaveBeenCalled()
    expect(chatApi.regenerate).not.toHaveBeenCalled()
  })
})

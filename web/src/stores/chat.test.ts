// The chat store's turn logic (send, resume, regenerate, stop, load) against scripted streams.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Message } from '@/api/types'

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
vi.mock('@/api/conversations', () => ({ conversationsApi: { messages: vi.fn() } }))

const { chatApi } = await import('@/api/chat')
const { conversationsApi } = await import('@/api/conversations')
const { ApiError } = await import('@/api/http')
const { useChatStore, UNSENT_KEY } = await import('@/stores/chat')
const { emptyAnswer } = await import('@/lib/streamReducer')

type Frame = [id: number, event: string, data: object]

const frame = ([id, event, data]: Frame) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** A stream the test writes to: `push` frames, `end` it (a drop, unless the last was final). */
function liveStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
  const encoder = new TextEncoder()
  return {
    response: new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    push: (...frames: Frame[]) =>
      frames.forEach((f) => controller.enqueue(encoder.encode(frame(f)))),
    end: () => controller.close(),
    /** What fetch does to a body when its request is aborted. */
    abortWith: (signal: AbortSignal) =>
      signal.addEventListener('abort', () =>
        controller.error(new DOMException('The operation was aborted.', 'AbortError')),
      ),
  }
}

function streamOf(...frames: Frame[]): Response {
  const stream = liveStream()
  stream.push(...frames)
  stream.end()
  return stream.response
}

const start = (message = 'a1', user = 'q1', conversation = 'c1'): Frame => [
  0,
  'start',
  { conversation_id: conversation, message_id: message, user_message_id: user },
]

function stored(overrides: Partial<Message>): Message {
  return { ...emptyAnswer('c1', 'm'), status: 'done', ...overrides }
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
  sessionStorage.clear()
})

describe('send', () => {
  it('streams a new chat to its end and learns the conversation id from start', async () => {
    vi.mocked(chatApi.send).mockResolvedValue(
      streamOf(
        start(),
        [1, 'delta', { text: 'Hel' }],
        [2, 'delta', { text: 'lo' }],
        [3, 'done', { status: 'done', suggested_questions: ['More?'] }],
      ),
    )
    const chat = useChatStore()
    const sent = chat.send({ app_id: 'app', query: 'Hi' })
    expect(chat.streaming).toBe(true)
    expect(sessionStorage.getItem(UNSENT_KEY)).toBe('Hi')
    await sent

    expect(chatApi.send).toHaveBeenCalledWith(
      { app_id: 'app', query: 'Hi', conversation_id: null },
      expect.any(AbortSignal),
    )
    expect(chat.conversationId).toBe('c1')
    const [question, answer] = chat.messages
    expect(question).toMatchObject({ id: 'q1', role: 'user', content: 'Hi' })
    expect(answer).toMatchObject({ id: 'a1', content: 'Hello', status: 'done' })
    expect(answer!.suggested_questions).toEqual(['More?'])
    expect(chat.streaming).toBe(false)
    expect(sessionStorage.getItem(UNSENT_KEY)).toBeNull()
  })

  it('resumes a dropped stream after the last event it saw', async () => {
    vi.mocked(chatApi.send).mockResolvedValue(streamOf(start(), [1, 'delta', { text: 'one ' }]))
    vi.mocked(chatApi.resume).mockResolvedValue(
      streamOf(
        [1, 'delta', { text: 'one ' }],
        [2, 'delta', { text: 'two' }],
        [
          3,
          'done',
          {
            status: 'done',
          },
        ],
      ),
    )
    const chat = useChatStore()
    await chat.send({ app_id: 'app', query: 'Count' })

    expect(chatApi.resume).toHaveBeenCalledWith('a1', '1', expect.any(AbortSignal))
    expect(chat.messages[1]).toMatchObject({ content: 'one two', status: 'done' })
    expect(chat.reconnecting).toBe(false)
  })

  it('keeps an unsent question for after sign-in when the session was lost', async () => {
    vi.mocked(chatApi.send).mockRejectedValue(
      new ApiError(401, 'unauthorized', 'Not authenticated'),
    )
    const chat = useChatStore()
    await chat.send({ app_id: 'app', query: 'Still there?' })

    expect(chat.messages).toEqual([])
    expect(sessionStorage.getItem(UNSENT_KEY)).toBe('Still there?')
    expect(chat.streaming).toBe(false)
  })

  it('marks the answer failed when the stream reports an error', async () => {
    vi.mocked(chatApi.send).mockResolvedValue(
      streamOf(start(), [1, 'error', { code: 'dify_unavailable', message: 'Dify is down' }]),
    )
    const chat = useChatStore()
    await chat.send({ app_id: 'app', query: 'Hi' })

    expect(chat.messages[1]).toMatchObject({
      status: 'failed',
      error: { code: 'dify_unavailable', message: 'Dify is down' },
    })
  })
})

describe('stop', () => {
  it('asks the server to stop the answer, which ends as stopped', async () => {
    const stream = liveStream()
    vi.mocked(chatApi.send).mockResolvedValue(stream.response)
    vi.mocked(chatApi.stop).mockImplementation(async () => {
      stream.push([2, 'done', { status: 'stopped' }])
      stream.end()
      return { status: 'stopping' }
    })
    const chat = useChatStore()
    const sent = chat.send({ app_id: 'app', query: 'Long story' })
    stream.push(start(), [1, 'delta', { text: 'Once' }])
    await vi.waitFor(() => expect(chat.messages[1]!.id).toBe('a1'))

    await chat.stop()
    await sent
    expect(chatApi.stop).toHaveBeenCalledWith('a1')
    expect(chat.messages[1]).toMatchObject({ content: 'Once', status: 'stopped' })
    expect(chat.streaming).toBe(false)
  })

  it('before the server named the answer, drops the request locally', async () => {
    const stream = liveStream()
    vi.mocked(chatApi.send).mockImplementation(async (_, signal) => {
      stream.abortWith(signal!)
      return stream.response
    })
    const chat = useChatStore()
    const sent = chat.send({ app_id: 'app', query: 'Never mind' })
    await vi.waitFor(() => expect(chatApi.send).toHaveBeenCalled())

    await chat.stop()
    await sent
    expect(chatApi.stop).not.toHaveBeenCalled()
    expect(chat.messages[1]!.status).toBe('stopped')
    expect(chat.streaming).toBe(false)
  })
})

describe('regenerate', () => {
  it('adds the same question again as a new variant of the turn and shows it', async () => {
    vi.mocked(chatApi.send).mockResolvedValue(
      streamOf(start(), [1, 'delta', { text: 'First' }], [2, 'done', { status: 'done' }]),
    )
    vi.mocked(chatApi.regenerate).mockResolvedValue(
      streamOf(
        start('a2', 'q2'),
        [1, 'delta', { text: 'Second' }],
        [2, 'done', { status: 'done' }],
      ),
    )
    const chat = useChatStore()
    await chat.send({ app_id: 'app', query: 'Say something' })
    await chat.regenerate('a1')

    expect(chatApi.regenerate).toHaveBeenCalledWith('a1', expect.any(AbortSignal))
    const [, , question, answer] = chat.messages
    expect(question).toMatchObject({ id: 'q2', content: 'Say something', regenerate_of: 'q1' })
    expect(answer).toMatchObject({ id: 'a2', content: 'Second', regenerate_of: 'a1' })
    const [turn] = chat.turns
    expect(turn!.variants).toHaveLength(2)
    expect(chat.selectedVariant[turn!.key]).toBe(1)
  })
})

describe('load', () => {
  it('pages through the messages and replays an answer still being generated', async () => {
    vi.mocked(conversationsApi.messages)
      .mockResolvedValueOnce({
        items: [stored({ id: 'q1', role: 'user', content: 'Hi' })],
        next_cursor: 'page-2',
      })
      .mockResolvedValueOnce({
        items: [stored({ id: 'a1', content: 'Hal', status: 'pending' })],
        next_cursor: null,
      })
    vi.mocked(chatApi.resume).mockResolvedValue(
      streamOf(start(), [1, 'delta', { text: 'Hallo' }], [2, 'done', { status: 'done' }]),
    )
    const chat = useChatStore()
    await chat.load('c1')

    expect(conversationsApi.messages).toHaveBeenNthCalledWith(2, 'c1', 'page-2')
    await vi.waitFor(() => expect(chat.messages[1]!.status).toBe('done'))
    expect(chatApi.resume).toHaveBeenCalledWith('a1', null, expect.any(AbortSignal))
    expect(chat.messages[1]!.content).toBe('Hallo') // replayed from the start, not appended
  })
})

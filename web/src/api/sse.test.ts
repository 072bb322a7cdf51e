import { describe, expect, it } from 'vitest'
import { consumeStream, SseParser, StreamLostError, type SseEvent } from './sse'

function streamOf(
  chunks: string[],
  opts: { breakAfter?: boolean } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let next = 0
  // Pull-based so queued chunks are read before the simulated network error.
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[next++]
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk))
      else if (opts.breakAfter) controller.error(new TypeError('network error'))
      else controller.close()
    },
  })
}

const sse = (body: ReadableStream<Uint8Array>) =>
  new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })

const frame = (id: number, event: string, data: unknown) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

describe('SseParser', () => {
  it('parses id, event and data fields and ignores comments', () => {
    const parser = new SseParser()
    const events = parser.push(': keep-alive\n\nid: 1\nevent: delta\ndata: {"text":"hi"}\n\n')
    expect(events).toEqual([{ id: '1', event: 'delta', data: '{"text":"hi"}' }])
    expect(parser.lastEventId).toBe('1')
  })

  it('reassembles frames split at every possible byte', () => {
    const text =
      'id: 7\r\nevent: delta\r\ndata: {"text":"a"}\r\n\r\n:c\n\nevent: done\ndata: line1\ndata: line2\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser()
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))]
      expect(events).toEqual([
        { id: '7', event: 'delta', data: '{"text":"a"}' },
        { id: '7', event: 'done', data: 'line1\nline2' },
      ])
    }
  })

  it('defaults the event name to message and skips frames without data', () => {
    const parser = new SseParser()
    expect(parser.push('event: x\n\ndata:plain\n\n')).toEqual([
      { id: null, event: 'message', data: 'plain' },
    ])
  })
})

describe('consumeStream', () => {
  const isFinal = (e: SseEvent) => e.event === 'done' || e.event === 'error'

  it('reads to the final event', async () => {
    const seen: string[] = []
    const result = await consumeStream({
      open: async () =>
        sse(
          streamOf([
            frame(1, 'start', {}),
            frame(2, 'delta', { text: 'a' }).slice(0, 9),
            frame(2, 'delta', { text: 'a' }).slice(9),
            frame(3, 'done', {}),
          ]),
        ),
      resume: () => null,
      onEvent: (e) => seen.push(e.event),
      isFinal,
    })
    expect(result).toBe('final')
    expect(seen).toEqual(['start', 'delta', 'done'])
  })

  it('reconnects with Last-Event-ID after a drop and delivers each event once', async () => {
    const resumedWith: (string | null)[] = []
    const texts: string[] = []
    await consumeStream({
      open: async () =>
        sse(
          streamOf([frame(1, 'start', {}), frame(2, 'delta', { text: 'Hel' })], {
            breakAfter: true,
          }),
        ),
      resume: (lastId) => {
        resumedWith.push(lastId)
        // The server replays from the last id it was told; an overlapping event must be skipped.
        return Promise.resolve(
          sse(
            streamOf([
              frame(2, 'delta', { text: 'Hel' }),
              frame(3, 'delta', { text: 'lo' }),
              frame(4, 'done', {}),
            ]),
          ),
        )
      },
      onEvent: (e) => {
        if (e.event === 'delta') texts.push((JSON.parse(e.data) as { text: string }).text)
      },
      isFinal,
      retryDelayMs: () => 1,
    })
    expect(resumedWith).toEqual(['2'])
    expect(texts.join('')).toBe('Hello')
  })

  it('reconnects when the stream closes cleanly without a final event', async () => {
    let opened = 0
    const seen: string[] = []
    await consumeStream({
      open: async () => sse(streamOf([frame(1, 'start', {})])),
      resume: () => {
        opened++
        return Promise.resolve(sse(streamOf([frame(2, 'done', {})])))
      },
      onEvent: (e) => seen.push(e.event),
      isFinal,
      retryDelayMs: () => 1,
    })
    expect(opened).toBe(1)
    expect(seen).toEqual(['start', 'done'])
  })

  it('delivers restart so the caller can clear the partial answer', async () => {
    const seen: string[] = []
    await consumeStream({
      open: async () =>
        sse(
          streamOf([
            frame(1, 'delta', { text: 'x' }),
            frame(2, 'restart', {}),
            frame(3, 'delta', { text: 'y' }),
            frame(4, 'done', {}),
          ]),
        ),
      resume: () => null,
      onEvent: (e) => seen.push(e.event),
      isFinal,
    })
    expect(seen).toEqual(['delta', 'restart', 'delta', 'done'])
  })

  it('gives up after the retry budget', async () => {
    const failing = consumeStream({
      open: async () => sse(streamOf([frame(1, 'start', {})], { breakAfter: true })),
      resume: () => Promise.reject(new TypeError('offline')),
      onEvent: () => {},
      isFinal,
      retries: 3,
      retryDelayMs: () => 1,
    })
    await expect(failing).rejects.toBeInstanceOf(StreamLostError)
  })

  it('throws the API error of a non-2xx answer', async () => {
    const failing = consumeStream({
      open: async () =>
        new Response(JSON.stringify({ error: 'rate_limited', detail: 'Slow down' }), {
          status: 429,
        }),
      resume: () => null,
      onEvent: () => {},
      isFinal,
    })
    await expect(failing).rejects.toMatchObject({ status: 429, code: 'rate_limited' })
  })

  it('stops quietly when aborted', async () => {
    const controller = new AbortController()
    const result = await consumeStream({
      open: async () => sse(streamOf([frame(1, 'start', {})], { breakAfter: true })),
      resume: () => null,
      onEvent: () => controller.abort(),
      isFinal,
      signal: controller.signal,
    })
    expect(result).toBe('aborted')
  })
})

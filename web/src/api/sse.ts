// Server-sent events over fetch: a frame parser, an async reader, and a consumer that resumes with Last-Event-ID.
import { toApiError } from './http'

export interface SseEvent {
  id: string | null
  event: string
  data: string
}

/** Incremental parser for the text/event-stream format; frames may be split anywhere across chunks. */
export class SseParser {
  private buffer = ''
  private dataLines: string[] = []
  private eventName = ''
  private hasData = false
  lastEventId: string | null = null

  push(chunk: string): SseEvent[] {
    this.buffer += chunk
    const events: SseEvent[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer)
      if (!match) break
      // A lone '\r' at the end may be the first half of '\r\n': wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break
      const line = this.buffer.slice(0, match.index)
      this.buffer = this.buffer.slice(match.index + match[0].length)
      const event = this.line(line)
      if (event) events.push(event)
    }
    return events
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return null // comment, e.g. keep-alive
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') {
      this.dataLines.push(value)
      this.hasData = true
    } else if (field === 'event') this.eventName = value
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value
    return null
  }

  private dispatch(): SseEvent | null {
    const event: SseEvent | null = this.hasData
      ? {
          id: this.lastEventId,
          event: this.eventName || 'message',
          data: this.dataLines.join('\n'),
        }
      : null
    this.dataLines = []
    this.eventName = ''
    this.hasData = false
    return event
  }
}

/** Yields the events of a response body as they arrive. */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  parser = new SseParser(),
): AsyncGenerator<SseEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      yield* parser.push(decoder.decode(value, { stream: true }))
    }
    yield* parser.push(decoder.decode()) // a trailing frame without its blank line is dropped, per spec
  } finally {
    reader.releaseLock()
  }
}

export interface ConsumeOptions {
  /** Opens the stream the first time (e.g. POST /api/chat/messages). */
  open: () => Promise<Response>
  /** Reopens it after a drop; `null` when resuming is not possible yet. */
  resume: (lastEventId: string | null) => Promise<Response> | null
  onEvent: (event: SseEvent) => void
  /** An event after which the stream is complete (done / error). */
  isFinal: (event: SseEvent) => boolean
  /** Called before each reconnect attempt. */
  onReconnect?: (attempt: number) => void
  signal?: AbortSignal
  retries?: number
  retryDelayMs?: (attempt: number) => number
}

export class StreamLostError extends Error {
  constructor() {
    super('The connection was lost and could not be resumed.')
    this.name = 'StreamLostError'
  }
}

const isNewer = (id: string | null, last: string | null): boolean => {
  if (id === null || last === null) return true
  const [a, b] = [Number(id), Number(last)]
  return Number.isFinite(a) && Number.isFinite(b) ? a > b : id !== last
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/**
 * Reads a stream to its final event. On a drop it reconnects with the last seen id and
 * skips any event it has already delivered, so every event reaches `onEvent` once.
 */
export async function consumeStream(options: ConsumeOptions): Promise<'final' | 'aborted'> {
  const { signal, retries = 5, retryDelayMs = (n) => Math.min(250 * 2 ** n, 4000) } = options
  let lastId: string | null = null
  let attempt = 0
  let response: Response | null = await options.open()
  for (;;) {
    if (response) {
      if (!response.ok || !response.body) throw await toApiError(response)
      try {
        for await (const event of readEvents(response.body)) {
          if (!isNewer(event.id, lastId)) continue
          lastId = event.id ?? lastId
          attempt = 0
          options.onEvent(event)
          if (options.isFinal(event)) return 'final'
        }
      } catch (error) {
        if (signal?.aborted) return 'aborted'
        if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error
      }
    }
    if (signal?.aborted) return 'aborted'
    if (++attempt > retries) throw new StreamLostError()
    options.onReconnect?.(attempt)
    await sleep(retryDelayMs(attempt), signal)
    if (signal?.aborted) return 'aborted'
    response = await (options.resume(lastId) ?? Promise.resolve(null)).catch((error: unknown) => {
      if (error instanceof TypeError) return null // network still down: try again
      throw error
    })
  }
}

// HTTP client: bearer token kept in memory; a 401 triggers one silent refresh (httpOnly cookie) and a retry.
import type { ApiErrorBody, Session } from './types'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The part of the Web Locks API the client uses (`navigator.locks`). */
export interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

/** Held while a refresh is in flight, by every tab of this origin: the refresh token rotates on
 * each use and a reused one revokes the session, so two tabs must not refresh at once. */
const REFRESH_LOCK = 'rechat:refresh'

export interface HttpOptions {
  fetch?: typeof fetch
  /** Serialises refreshes across tabs; the browser's `navigator.locks` when it has one. */
  locks?: Locks
  /** Called with the new session after a successful refresh. */
  onSession?: (session: Session) => void
  /** Called once when the refresh itself fails: the user must sign in again. */
  onAuthLost?: () => void
}

/** A request whose body is serialised as JSON (or sent as-is when FormData). */
export type JsonInit = Omit<RequestInit, 'body'> & { body?: unknown }

export interface Http {
  /** Raw response (for streams); refreshes and retries once on 401. */
  send(path: string, init?: RequestInit): Promise<Response>
  /** JSON request; throws ApiError on a non-2xx answer. */
  json<T>(path: string, init?: JsonInit): Promise<T>
  setToken(token: string | null): void
  getToken(): string | null
  /** POST /api/auth/refresh, single-flight: concurrent 401s share one refresh. */
  refresh(): Promise<Session | null>
}

export async function toApiError(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> = {}
  try {
    body = (await response.json()) as Partial<ApiErrorBody>
  } catch {
    // not JSON: fall back to the status text
  }
  const detail =
    typeof body.detail === 'string' ? body.detail : response.statusText || 'Request failed'
  return new ApiError(response.status, body.error ?? `http_${response.status}`, detail)
}

/** Endpoints whose 401 means "wrong credentials", not "expired token". */
const NO_REFRESH = [
  '/api/auth/login',
  '/api/auth/register',
  '/api/auth/refresh',
  '/api/auth/logout',
  '/api/auth/config',
]

export function createHttp(options: HttpOptions = {}): Http {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const locks: Locks | undefined = options.locks ?? globalThis.navigator?.locks
  let token: string | null = null
  let refreshing: Promise<Session | null> | null = null

  function withAuth(init: RequestInit): RequestInit {
    const headers = new Headers(init.headers)
    if (token) headers.set('Authorization', `Bearer ${token}`)
    return { credentials: 'same-origin', ...init, headers }
  }

  async function doRefresh(): Promise<Session | null> {
    const post = () => doFetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    const response = await (locks ? locks.request(REFRESH_LOCK, post) : post())
    if (!response.ok) {
      token = null
      return null
    }
    const session = (await response.json()) as Session
    token = session.access_token
    options.onSession?.(session)
    return session
  }

  function refresh(): Promise<Session | null> {
    refreshing ??= doRefresh()
      .catch(() => null)
      .finally(() => {
        refreshing = null
      })
    return refreshing
  }

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    const sentWith = token
    const response = await doFetch(path, withAuth(init))
    if (response.status !== 401 || NO_REFRESH.includes(path)) return response
    // Another request may already have refreshed while this one was in flight.
    const fresh = token !== sentWith && token !== null ? token : (await refresh())?.access_token
    if (!fresh) {
      options.onAuthLost?.()
      return response
    }
    return doFetch(path, withAuth(init))
  }

  async function json<T>(path: string, init: JsonInit = {}): Promise<T> {
    const { body, ...rest } = init
    const headers = new Headers(rest.headers)
    let payload: BodyInit | undefined
    if (body instanceof FormData) payload = body
    else if (body !== undefined) {
      headers.set('Content-Type', 'application/json')
      payload = JSON.stringify(body)
    }
    const response = await send(path, { ...rest, headers, body: payload })
    if (!response.ok) throw await toApiError(response)
    if (response.status === 204) return undefined as T
    const text = await response.text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  return {
    send,
    json,
    refresh,
    setToken: (value) => {
      token = value
    },
    getToken: () => token,
  }
}

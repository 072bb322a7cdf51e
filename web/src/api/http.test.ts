import { describe, expect, it, vi } from 'vitest'
import { ApiError, createHttp } from './http'
import type { Session } from './types'

const session = (token: string): Session => ({
  access_token: token,
  token_type: 'bearer',
  expires_in: 900,
  user: {
    id: 'u1',
    email: 'a@b.c',
    name: 'A',
    role: 'user',
    active: true,
    created_at: '',
    last_login_at: null,
  },
})

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

/** A tiny fake server: accepts only the current token, rotates it on refresh. */
function fakeServer(opts: { refreshOk: boolean }) {
  let valid = 'fresh'
  const calls: string[] = []
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const auth = new Headers(init?.headers).get('Authorization')
    calls.push(`${url} ${auth ?? '-'}`)
    if (url === '/api/auth/refresh') {
      return opts.refreshOk
        ? jsonResponse(200, session(valid))
        : jsonResponse(401, { error: 'invalid_token', detail: 'no' })
    }
    if (auth !== `Bearer ${valid}`)
      return jsonResponse(401, { error: 'unauthorized', detail: 'expired' })
    return jsonResponse(200, { ok: true })
  })
  return { fetchImpl, calls, rotate: (t: string) => (valid = t) }
}

/** Two tabs of one browser: a shared cookie jar holding a refresh token that rotates on each
 * use, where a reused token revokes the session (as auth does). */
function rotatingRefreshServer() {
  let cookie = 'r1'
  let revoked = false
  const fetchImpl = async (input: RequestInfo | URL) => {
    if (String(input) !== '/api/auth/refresh') return jsonResponse(404, {})
    const sent = cookie // the browser attaches the cookie as the request leaves
    await new Promise((resolve) => setTimeout(resolve, 5)) // the round trip
    if (revoked || sent !== cookie) {
      revoked = true
      return jsonResponse(401, { error: 'token_reused', detail: 'session revoked' })
    }
    cookie = `r${Number(cookie.slice(1)) + 1}`
    return jsonResponse(200, session(`access-${cookie}`))
  }
  return fetchImpl as typeof fetch
}

/** A Web Locks stand-in: one holder per name at a time, the others wait their turn. */
function sharedLocks() {
  const tails = new Map<string, Promise<unknown>>()
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(callback, callback)
      tails.set(
        name,
        run.catch(() => undefined),
      )
      return run
    },
  }
}

describe('refresh across tabs', () => {
  it('two tabs refreshing at once both keep the session when they take turns', async () => {
    const fetchImpl = rotatingRefreshServer()
    const locks = sharedLocks()
    const [first, second] = [
      createHttp({ fetch: fetchImpl, locks }),
      createHttp({ fetch: fetchImpl, locks }),
    ]
    const sessions = await Promise.all([first.refresh(), second.refresh()])
    expect(sessions.map((s) => s?.access_token)).toEqual(['access-r2', 'access-r3'])
    expect((await first.refresh())?.access_token).toBe('access-r4')
  })

  it('without the lock the second refresh reuses the token and revokes the session', async () => {
    const fetchImpl = rotatingRefreshServer()
    const noLocks = { request: <T>(_name: string, callback: () => Promise<T>) => callback() }
    const [first, second] = [
      createHttp({ fetch: fetchImpl, locks: noLocks }),
      createHttp({ fetch: fetchImpl, locks: noLocks }),
    ]
    const sessions = await Promise.all([first.refresh(), second.refresh()])
    expect(sessions.filter((s) => s === null)).toHaveLength(1)
    expect(await first.refresh()).toBeNull() // the whole session was revoked
  })
})

describe('token refresh', () => {
  it('refreshes once on 401 and retries the request', async () => {
    const server = fakeServer({ refreshOk: true })
    const onSession = vi.fn()
    const http = createHttp({ fetch: server.fetchImpl as typeof fetch, onSession })
    http.setToken('stale')
    await expect(http.json('/api/apps')).resolves.toEqual({ ok: true })
    expect(server.calls).toEqual([
      '/api/apps Bearer stale',
      '/api/auth/refresh -',
      '/api/apps Bearer fresh',
    ])
    expect(onSession).toHaveBeenCalledOnce()
    expect(http.getToken()).toBe('fresh')
  })

  it('shares one refresh between concurrent 401s', async () => {
    const server = fakeServer({ refreshOk: true })
    const http = createHttp({ fetch: server.fetchImpl as typeof fetch })
    http.setToken('stale')
    await Promise.all([http.json('/api/a'), http.json('/api/b'), http.json('/api/c')])
    expect(server.calls.filter((c) => c.startsWith('/api/auth/refresh'))).toHaveLength(1)
  })

  it('reports a lost session when the refresh fails, without looping', async () => {
    const server = fakeServer({ refreshOk: false })
    const onAuthLost = vi.fn()
    const http = createHttp({ fetch: server.fetchImpl as typeof fetch, onAuthLost })
    http.setToken('stale')
    const error = await http.json('/api/apps').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(401)
    expect(onAuthLost).toHaveBeenCalledOnce()
    expect(server.calls).toHaveLength(2)
    expect(http.getToken()).toBeNull()
  })

  it('does not refresh for auth endpoints themselves', async () => {
    const server = fakeServer({ refreshOk: true })
    const http = createHttp({ fetch: server.fetchImpl as typeof fetch })
    const error = await http
      .json('/api/auth/login', { method: 'POST', body: {} })
      .catch((e: unknown) => e)
    expect((error as ApiError).code).toBe('unauthorized')
    expect(server.calls).toEqual(['/api/auth/login -'])
  })

  it('parses the error body into ApiError', async () => {
    const fetchImpl = async () =>
      jsonResponse(409, { error: 'last_admin', detail: 'Keep one admin' })
    const http = createHttp({ fetch: fetchImpl as typeof fetch })
    const error = (await http
      .json('/api/admin/users/1', { method: 'DELETE' })
      .catch((e: unknown) => e)) as ApiError
    expect([error.status, error.code, error.message]).toEqual([409, 'last_admin', 'Keep one admin'])
  })
})

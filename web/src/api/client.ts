// The one HTTP client of the app; the auth store installs its session callbacks.
import { createHttp } from './http'
import type { Session } from './types'

type SessionListener = (session: Session) => void
let onSession: SessionListener = () => {}
let onAuthLost: () => void = () => {}

export const http = createHttp({
  onSession: (session) => onSession(session),
  onAuthLost: () => onAuthLost(),
})

export function bindSessionCallbacks(callbacks: {
  onSession: SessionListener
  onAuthLost: () => void
}): void {
  onSession = callbacks.onSession
  onAuthLost = callbacks.onAuthLost
}

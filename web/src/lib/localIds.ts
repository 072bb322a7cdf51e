// Client-side ids for messages the server has not named yet (a turn before its stream's `start`).
import type { Message } from '@/api/types'

const PREFIX = 'local-'
let last = 0

export function localId(): string {
  return `${PREFIX}${++last}`
}

/** False for a message the server never accepted: nothing can be asked of the server about it. */
export function hasServerId(message: Pick<Message, 'id'>): boolean {
  return !message.id.startsWith(PREFIX)
}

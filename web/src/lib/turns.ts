// Folds a conversation's messages into turns; a regenerated turn becomes a variant (`< 1/2 >`) of the one it redoes.
import type { Message } from '@/api/types'

export interface Variant {
  user: Message
  answer: Message | null
}

export interface Turn {
  key: string
  variants: Variant[]
}

export function buildTurns(messages: Message[]): Turn[] {
  const turns: Turn[] = []
  const turnOf = new Map<string, Turn>()
  for (let i = 0; i < messages.length; i++) {
    const user = messages[i]!
    if (user.role !== 'user') continue // an answer without its question (should not happen) is skipped
    const next = messages[i + 1]
    const answer = next?.role === 'assistant' ? next : null
    if (answer) i++
    const origin = [user.regenerate_of, answer?.regenerate_of].find((id) => id && turnOf.has(id))
    const variant = { user, answer }
    let turn = origin ? turnOf.get(origin)! : undefined
    if (turn) turn.variants.push(variant)
    else {
      turn = { key: user.id, variants: [variant] }
      turns.push(turn)
    }
    turnOf.set(user.id, turn)
    if (answer) turnOf.set(answer.id, turn)
  }
  return turns
}

// The open conversation: its messages, the answer being streamed, stop / regenerate / resume.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { toast } from 'vue-sonner'
import { chatApi } from '@/api/chat'
import { conversationsApi } from '@/api/conversations'
import { ApiError } from '@/api/http'
import { consumeStream } from '@/api/sse'
import type { Message, SendBody } from '@/api/types'
import { i18n } from '@/i18n'
import { applyStreamEvent, emptyAnswer, parseStreamEvent } from '@/lib/streamReducer'
import { hasServerId, localId } from '@/lib/localIds'
import { buildTurns } from '@/lib/turns'

/** A question sent but not yet accepted by the server (no `start` yet); survives a lost session. */
export const UNSENT_KEY = 'rechat:unsent'

export const useChatStore = defineStore('chat', () => {
  const conversationId = ref<string | null>(null)
  const messages = ref<Message[]>([])
  const loading = ref(false)
  const streaming = ref(false)
  const reconnecting = ref(false)
  /** Which variant of each turn is shown (turn key → index). */
  const selectedVariant = ref<Record<string, number>>({})
  let controller: AbortController | null = null
  let streamingAnswer: Message | null = null

  const turns = computed(() => buildTurns(messages.value))

  function reset(id: string | null = null) {
    controller?.abort()
    conversationId.value = id
    messages.value = []
    selectedVariant.value = {}
  }

  async function load(id: string) {
    if (id === conversationId.value && messages.value.length) return
    reset(id)
    loading.value = true
    try {
      let cursor: string | null = null
      const all: Message[] = []
      do {
        const page = await conversationsApi.messages(id, cursor)
        all.push(...page.items)
        cursor = page.next_cursor
      } while (cursor)
      if (conversationId.value !== id) return
      messages.value = all
    } finally {
      loading.value = false
    }
    // A reload mid-answer: replay the answer's stream from the start and show it whole.
    const pending = [...messages.value]
      .reverse()
      .find((m) => m.role === 'assistant' && m.status === 'pending')
    if (pending) void resume(pending)
  }

  function push(message: Message): Message {
    messages.value.push(message)
    return messages.value[messages.value.length - 1]! // the reactive proxy
  }

  function localMessage(role: 'user' | 'assistant', content = ''): Message {
    return { ...emptyAnswer(conversationId.value ?? '', localId()), role, content }
  }

  async function run(
    open: (signal: AbortSignal) => Promise<Response>,
    answer: Message,
    question: Message | null,
  ) {
    controller?.abort()
    const ctrl = new AbortController()
    controller = ctrl
    streaming.value = true
    streamingAnswer = answer
    try {
      await consumeStream({
        open: () => open(ctrl.signal),
        resume: (lastId) =>
          hasServerId(answer) ? chatApi.resume(answer.id, lastId, ctrl.signal) : null,
        onEvent: (raw) => {
          const event = parseStreamEvent(raw.event, raw.data)
          if (!event) return
          reconnecting.value = false
          if (event.event === 'start') {
            sessionStorage.removeItem(UNSENT_KEY)
            if (question) question.id = event.data.user_message_id
            // a new chat learns its id here (the view watches it to move to the chat's URL)
            if (!conversationId.value) conversationId.value = event.data.conversation_id
          }
          applyStreamEvent(answer, event)
          if (event.event === 'error') toast.error(event.data.message)
        },
        isFinal: (event) => event.event === 'done' || event.event === 'error',
        onReconnect: () => (reconnecting.value = true),
        signal: ctrl.signal,
      })
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && question) {
        // Session lost before the question reached the server: it stays in UNSENT_KEY, and the
        // input offers it again after signing in.
        messages.value = messages.value.filter((m) => m !== question && m !== answer)
        return
      }
      sessionStorage.removeItem(UNSENT_KEY)
      const message = error instanceof Error ? error.message : String(error)
      answer.status = 'failed'
      answer.error = { code: error instanceof ApiError ? error.code : 'stream_failed', message }
      toast.error(message)
    } finally {
      if (controller === ctrl) {
        controller = null
        streaming.value = false
        reconnecting.value = false
        streamingAnswer = null
      }
    }
  }

  async function send(body: Omit<SendBody, 'conversation_id'>) {
    sessionStorage.setItem(UNSENT_KEY, body.query)
    const question = push(localMessage('user', body.query))
    question.files = (body.files ?? []).map((f) => ({
      upload_file_id: f.upload_file_id,
      type: f.type,
      name: f.name,
    }))
    const answer = push(localMessage('assistant'))
    await run(
      (signal) => chatApi.send({ ...body, conversation_id: conversationId.value }, signal),
      answer,
      question,
    )
  }

  async function regenerate(answerId: string) {
    const source = messages.value.find((m) => m.id === answerId)
    const sourceIndex = messages.value.findIndex((m) => m.id === answerId)
    const sourceQuestion = messages.value[sourceIndex - 1]
    if (!source || !sourceQuestion || !hasServerId(source)) return
    const question = push({
      ...localMessage('user', sourceQuestion.content),
      regenerate_of: sourceQuestion.id,
    })
    const answer = push({ ...localMessage('assistant'), regenerate_of: source.id })
    const turn = turns.value.find((t) => t.variants.some((v) => v.answer?.id === answer.id))
    if (turn) selectedVariant.value[turn.key] = turn.variants.length - 1
    await run((signal) => chatApi.regenerate(answerId, signal), answer, question)
  }

  async function resume(answer: Message) {
    answer.content = ''
    answer.thoughts = []
    answer.nodes = []
    await run((signal) => chatApi.resume(answer.id, null, signal), answer, null)
  }

  /** Asks the worker to stop; the stream then ends with `done {status: "stopped"}`. */
  async function stop() {
    const answer = streamingAnswer
    if (!answer) return
    if (!hasServerId(answer)) {
      controller?.abort()
      answer.status = 'stopped'
      return
    }
    try {
      await chatApi.stop(answer.id)
    } catch {
      controller?.abort()
      answer.status = 'stopped'
    }
  }

  function selectVariant(turnKey: string, index: number) {
    selectedVariant.value[turnKey] = index
  }

  /** The user's own text for a stored message (a question kept without asking again, an answer). */
  async function editMessage(message: Message, content: string) {
    if (!hasServerId(message)) return
    const saved = await conversationsApi.editMessage(message.id, content)
    message.content = saved.content
  }

  async function rate(message: Message, rating: 'like' | 'dislike' | null, content?: string) {
    if (!hasServerId(message)) return
    await chatApi.feedback(message.id, { rating, content: content ?? null })
    message.feedback = { rating, content: content ?? null }
    toast.success(i18n.global.t('chat.feedbackThanks'))
  }

  return {
    conversationId,
    messages,
    turns,
    loading,
    streaming,
    reconnecting,
    selectedVariant,
    reset,
    load,
    send,
    regenerate,
    stop,
    selectVariant,
    rate,
    editMessage,
  }
})

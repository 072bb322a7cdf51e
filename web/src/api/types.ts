// Types of the ReChat HTTP API (docs/ARCHITECTURE.md, "HTTP API").

export type Role = 'admin' | 'user' | 'pending'

export interface User {
  id: string
  email: string
  name: string
  role: Role
  active: boolean
  created_at: string
  last_login_at: string | null
}

export interface Session {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  user: User
}

export interface AuthConfig {
  signup_open: boolean
  has_users: boolean
}

export interface AdminSettings {
  signup_open: boolean
  default_role: 'user' | 'pending'
}

export interface Page<T> {
  items: T[]
  total: number
}

export interface CursorPage<T> {
  items: T[]
  next_cursor: string | null
}

/** One item of Dify's `user_input_form`: `{ "text-input": { variable, label, required, ... } }`. */
export type DifyFormItem = Record<string, DifyFormField>

export interface DifyFormField {
  variable: string
  label: string
  required?: boolean
  max_length?: number
  default?: string
  options?: string[]
}

export type AppMode = 'chat' | 'agent-chat' | 'advanced-chat' | 'workflow' | 'completion'

export interface App {
  id: string
  name: string
  description: string
  icon: string | null
  mode: AppMode
  opening_statement: string | null
  suggested_questions: string[]
  user_input_form: DifyFormItem[]
  file_upload: Record<string, unknown> | null
  suggested_questions_after_answer: boolean
}

export interface AdminApp {
  id: string
  name: string
  description: string
  icon: string | null
  base_url: string
  mode: AppMode
  enabled: boolean
  visible_to_roles: Role[]
  api_key_hint: string | null
  created_at: string
  updated_at: string
}

export interface AdminAppWrite {
  name?: string
  description?: string
  icon?: string | null
  base_url?: string
  mode?: AppMode
  enabled?: boolean
  visible_to_roles?: Role[]
  api_key?: string
}

export interface AppTestResult {
  ok: boolean
  reason?: string | null
  info?: Record<string, unknown> | null
}

export interface Conversation {
  id: string
  app_id: string
  title: string | null
  pinned: boolean
  archived: boolean
  created_at: string
  updated_at: string
  preview: string | null
}

export interface Usage {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  latency?: number
  [key: string]: unknown
}

export interface Citation {
  position?: number
  dataset_name?: string
  document_name?: string
  content?: string
  score?: number
  [key: string]: unknown
}

export interface Thought {
  id: string
  position: number
  thought: string
  tool: string
  tool_input: string
  observation: string
}

export interface WorkflowNode {
  id: string
  node_id: string
  node_type: string
  title: string
  status: string
  elapsed_time: number | null
}

export interface MessageFile {
  id: string
  type: string
  url?: string
  name?: string
}

export type MessageStatus = 'pending' | 'done' | 'stopped' | 'failed'

export interface Feedback {
  rating: 'like' | 'dislike' | null
  content?: string | null
}

export interface Message {
  id: string
  conversation_id: string
  role: 'user' | 'assistant'
  content: string
  status: MessageStatus
  error: { code: string; message: string } | null
  regenerate_of: string | null
  usage: Usage | null
  citations: Citation[] | null
  thoughts: Thought[] | null
  nodes: WorkflowNode[] | null
  feedback: Feedback | null
  inputs: Record<string, unknown> | null
  files: MessageFile[] | null
  timings?: Record<string, unknown> | null
  created_at: string
  /** Client-only: follow-up questions from the stream's `done` event. */
  suggested_questions?: string[]
}

export interface UploadedFile {
  id: string
  name: string
  size: number
  mime_type: string
  type: string
}

export interface UsageRow {
  user_id?: string
  app_id?: string
  messages?: number
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  [key: string]: unknown
}

export interface ApiErrorBody {
  error: string
  detail: string
}

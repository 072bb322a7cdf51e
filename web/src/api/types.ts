// Types of the ReChat HTTP API, taken from the services' own OpenAPI documents
// (src/api/generated/*.ts, written by `npm run api:generate`; `make test` fails when they are
// stale). Only the Dify JSON the services pass through untyped is described by hand, below.
import type { components as AuthApi } from './generated/auth'
import type { components as GatewayApi } from './generated/gateway'
import type { components as HistoryApi } from './generated/history'

type Auth = AuthApi['schemas']
type Gateway = GatewayApi['schemas']
type History = HistoryApi['schemas']

export type User = Auth['User']
export type Role = User['role']
export type Session = Auth['Session']
export type AuthConfig = Auth['AuthConfig']
export type AdminSettings = Auth['AuthSettingsRead']
export type AdminSettingsUpdate = Auth['AuthSettingsUpdate']
export type UserPage = Auth['UserPage']
export type Preferences = Auth['Preferences']
export type AdminContact = Auth['AdminContact']
export type PreferencesUpdate = Auth['PreferencesUpdate']

export type AdminApp = Gateway['AdminApp']
export type AdminAppCreate = Gateway['AppCreate']
export type AdminAppUpdate = Gateway['AppUpdate']
/** What the admin's app form sends: every field, the key only when one was typed. */
export type AdminAppWrite = Omit<AdminAppCreate, 'api_key'> & { api_key?: string }
export type AppMode = AdminApp['mode']
export type AppTestResult = Gateway['AppTestResult']
export type UploadedFile = Gateway['UploadedFile']
export type SendBody = Gateway['ChatMessageCreate']
export type FeedbackBody = Gateway['FeedbackCreate']
export type StopResult = Gateway['StopResult']

export type Conversation = History['Conversation']
export type ConversationPage = History['Page_Conversation_']
export type ConversationUpdate = History['ConversationUpdate']
export type Feedback = History['Feedback']
export type MessageStatus = History['Message']['status']
export type UsageReport = History['UsageReport']
export type UsageRow = History['UsageRow']
export type Share = History['Share']
export type SharedConversation = History['SharedConversation']
export type SharedMessage = History['SharedMessage']
export type Folder = History['Folder']

/** The `{"error", "detail"}` envelope of every 4xx/5xx (422 adds pydantic's `errors`). */
export type ApiErrorBody = Auth['ErrorBody']

// -- Dify's JSON, passed through by the services as free-form objects ------------------------

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

export type App = Omit<Gateway['App'], 'user_input_form'> & { user_input_form: DifyFormItem[] }

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
  /** Answer files: Dify's id. A user's files carry `upload_file_id` instead. */
  id?: string
  upload_file_id?: string | null
  type: string
  url?: string
  name?: string | null
}

/** A message as history stores it, with the Dify parts it passes through spelled out. */
export type Message = Omit<
  History['Message'],
  'usage' | 'citations' | 'thoughts' | 'nodes' | 'files'
> & {
  usage: Usage | null
  citations: Citation[] | null
  thoughts: Thought[] | null
  nodes: WorkflowNode[] | null
  files: MessageFile[] | null
}

export type MessagePage = Omit<History['Page_Message_'], 'items'> & { items: Message[] }

// An app's input form as the chat shows it: without the input the message box fills.
import type { App, DifyFormItem } from '@/api/types'

/** The form minus `app.query_input` (a workflow's or completion's query, whatever its name). */
export function formWithoutQuery(app: App | null): DifyFormItem[] {
  const form = app?.user_input_form ?? []
  const query = app?.query_input
  if (!query) return form
  return form.filter((item) => !Object.values(item).some((field) => field.variable === query))
}

/** The labels of the required inputs still empty, in form order. */
export function missingRequired(form: DifyFormItem[], values: Record<string, string>): string[] {
  return form.flatMap((item) =>
    Object.values(item)
      .filter((field) => field.required && !values[field.variable]?.trim())
      .map((field) => field.label || field.variable),
  )
}

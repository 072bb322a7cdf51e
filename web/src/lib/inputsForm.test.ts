import { describe, expect, it } from 'vitest'
import type { App, DifyFormItem } from '@/api/types'
import { formWithoutQuery, missingRequired } from './inputsForm'

const workflow = {
  id: 'a',
  name: 'Flow',
  description: '',
  icon: '',
  mode: 'workflow',
  opening_statement: null,
  suggested_questions: [],
  file_upload: null,
  suggested_questions_after_answer: false,
  speech_to_text: false,
  text_to_speech: false,
  user_input_form: [
    { paragraph: { variable: 'question', label: 'Your question', required: true } },
    { 'text-input': { variable: 'tone', label: 'Tone', required: true } },
  ] as DifyFormItem[],
  query_input: 'question',
} satisfies App

describe('the inputs form', () => {
  it('leaves out the input the message box fills, whatever its name', () => {
    expect(formWithoutQuery(workflow).map((item) => Object.values(item)[0]!.variable)).toEqual([
      'tone',
    ])
    expect(formWithoutQuery({ ...workflow, query_input: null })).toHaveLength(2)
  })

  it('names the required inputs still empty by their labels', () => {
    const form = formWithoutQuery(workflow)
    expect(missingRequired(form, {})).toEqual(['Tone'])
    expect(missingRequired(form, { tone: '  ' })).toEqual(['Tone'])
    expect(missingRequired(form, { tone: 'dry' })).toEqual([])
  })
})

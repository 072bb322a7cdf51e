import { describe, expect, it } from 'vitest'
import { codeFileName, tableRows, toCsv, toTsv } from './answerTools'
import { renderMarkdown } from './markdown'

describe('answer tools', () => {
  it('names a saved code block after its language', () => {
    expect(codeFileName('python')).toBe('code.py')
    expect(codeFileName('go')).toBe('code.go')
    expect(codeFileName('')).toBe('code.txt')
    expect(codeFileName('../x')).toBe('code.txt')
  })

  it('turns a rendered table into CSV and TSV', () => {
    const host = document.createElement('div')
    host.innerHTML = renderMarkdown('| a | b |\n|---|---|\n| 1, 2 | say "hi" |')
    const rows = tableRows(host.querySelector('table')!)
    expect(rows).toEqual([
      ['a', 'b'],
      ['1, 2', 'say "hi"'],
    ])
    expect(toCsv(rows)).toBe('a,b\r\n"1, 2","say ""hi"""\r\n')
    expect(toTsv(rows)).toBe('a\tb\n1, 2\tsay "hi"')
  })
})

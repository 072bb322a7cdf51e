// What the buttons on a rendered answer's code blocks, tables and diagrams do (copy, save, fold, CSV).

/** The file extension a code block of this language is saved with. */
const EXTENSIONS: Record<string, string> = {
  python: 'py',
  javascript: 'js',
  typescript: 'ts',
  bash: 'sh',
  shell: 'sh',
  markdown: 'md',
  rust: 'rs',
  ruby: 'rb',
  kotlin: 'kt',
  csharp: 'cs',
  text: 'txt',
}

export function codeFileName(lang: string): string {
  const name = lang.toLowerCase()
  return `code.${EXTENSIONS[name] ?? (/^[a-z0-9]{1,8}$/.test(name) ? name : 'txt')}`
}

/** A table's cells as rows of text, the header row first. */
export function tableRows(table: HTMLTableElement): string[][] {
  return [...table.rows].map((row) => [...row.cells].map((cell) => (cell.textContent ?? '').trim()))
}

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
export function toCsv(rows: string[][]): string {
  const field = (value: string) =>
    /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n'
}

/** Tab-separated text, what a spreadsheet takes from the clipboard. */
export const toTsv = (rows: string[][]) => rows.map((row) => row.join('\t')).join('\n')

export function saveText(text: string, name: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

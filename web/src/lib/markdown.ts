// Markdown → sanitised HTML: markdown-it (raw HTML off), highlight.js, KaTeX, Mermaid placeholders, DOMPurify.
import MarkdownIt from 'markdown-it'
import katexModule from '@vscode/markdown-it-katex'
import hljs from 'highlight.js/lib/common'
import DOMPurify from 'dompurify'

export interface RenderOptions {
  copyLabel?: string
}

interface RenderEnv {
  lines: string[]
  copyLabel: string
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: false })
// The package is CommonJS: depending on the bundler's interop the plugin is the default import or its `.default`.
const katexPlugin =
  (katexModule as unknown as { default?: typeof katexModule }).default ?? katexModule
md.use(katexPlugin, { throwOnError: false })

const escape = (text: string) => md.utils.escapeHtml(text)

/** markdown-it lets an unclosed fence run to the end; its closing line is then missing. */
function fenceIsClosed(map: [number, number] | null, markup: string, env: RenderEnv): boolean {
  if (!map) return false
  const last = env.lines[map[1] - 1]
  return (
    map[1] - 1 > map[0] &&
    last !== undefined &&
    last.trim().startsWith(markup) &&
    last.trim().replace(/[`~]/g, '') === ''
  )
}

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx]!
  const lang = token.info.trim().split(/\s+/)[0] ?? ''
  // URI-encoded: DOMPurify drops attribute values containing "-->", which every mermaid arrow has.
  if (lang === 'mermaid' && fenceIsClosed(token.map, token.markup, env)) {
    return `<div class="mermaid-block" data-mermaid="${encodeURIComponent(token.content)}"></div>`
  }
  const highlighted =
    lang && hljs.getLanguage(lang)
      ? hljs.highlight(token.content, { language: lang, ignoreIllegals: true }).value
      : escape(token.content)
  return (
    `<div class="code-block"><div class="code-block-header"><span class="code-block-lang">${escape(lang || 'text')}</span>` +
    `<button type="button" class="code-block-copy" data-copy-code aria-label="${escape(env.copyLabel)}">${escape(env.copyLabel)}</button></div>` +
    `<pre><code class="hljs${lang ? ` language-${escape(lang)}` : ''}">${highlighted}</code></pre></div>`
  )
}

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
})

export function sanitize(html: string): string {
  return DOMPurify.sanitize(html, { ADD_ATTR: ['target'], FORBID_TAGS: ['style', 'form', 'input'] })
}

export function renderMarkdown(source: string, options: RenderOptions = {}): string {
  const env: RenderEnv = { lines: source.split('\n'), copyLabel: options.copyLabel ?? 'Copy' }
  return sanitize(md.render(source, env))
}

// Markdown → sanitised HTML: markdown-it (raw HTML off), highlight.js, KaTeX, Mermaid placeholders, DOMPurify.
//
// Remote images never load on their own: an answer steered by prompt injection could otherwise
// send the conversation to any server in an image URL, with no click. An image shows at once
// only when it is inline data or comes from a host the operator allowed (RECHAT_IMAGE_HOSTS,
// served by /api/auth/config and also the CSP's img-src); any other becomes a link naming its
// host, which the reader may open in a new tab.
import MarkdownIt from 'markdown-it'
import katexModule from '@vscode/markdown-it-katex'
import hljs from 'highlight.js/lib/common'
import DOMPurify from 'dompurify'
import { ICONS } from '@/components/common/icons'

/** The words on the buttons the renderer puts on code blocks, tables and diagrams. */
export interface RenderLabels {
  copy: string
  save: string
  collapse: string
  download: string
}

export interface RenderOptions {
  copyLabel?: string
  labels?: Partial<RenderLabels>
}

interface RenderEnv {
  lines: string[]
  labels: RenderLabels
}

const DEFAULT_LABELS: RenderLabels = {
  copy: 'Copy',
  save: 'Save',
  collapse: 'Collapse',
  download: 'Download',
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: false })
// The package is CommonJS: depending on the bundler's interop the plugin is the default import or its `.default`.
const katexPlugin =
  (katexModule as unknown as { default?: typeof katexModule }).default ?? katexModule
md.use(katexPlugin, { throwOnError: false })

const escape = (text: string) => md.utils.escapeHtml(text)

let imageHosts = new Set<string>()

/** The hosts whose images answers show at once (from the sign-in config). */
export function setImageHosts(hosts: readonly string[]): void {
  imageHosts = new Set(hosts.map((host) => host.toLowerCase()))
}

/** Whether an image at `src` may load without the reader asking for it. */
export function imageMayLoad(src: string): boolean {
  if (/^data:image\//i.test(src)) return true
  try {
    const url = new URL(src)
    return url.protocol === 'https:' && imageHosts.has(url.host.toLowerCase())
  } catch {
    return false // relative or unparsable: not an image we load on our own either
  }
}

function hostOf(src: string): string {
  try {
    return new URL(src).host
  } catch {
    return src
  }
}

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!
  const src = token.attrGet('src') ?? ''
  if (imageMayLoad(src)) {
    token.attrSet('referrerpolicy', 'no-referrer')
    return self.renderToken(tokens, idx, options)
  }
  const alt = self.renderInlineAsText(token.children ?? [], options, env) || 'image'
  return (
    `<a class="remote-image" href="${escape(src)}" title="${escape(src)}">` +
    `${escape(alt)} <span class="remote-image-host">(${escape(hostOf(src))})</span></a>`
  )
}

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

/** A toolbar button the chat view wires up by its data attribute (copy, save, collapse, download). */
function toolButton(action: string, label: string, className: string, icon?: string): string {
  const face = icon
    ? `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.5" class="size-4" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d="${icon}"/></svg>`
    : escape(label)
  return `<button type="button" class="${className}" data-${action} aria-label="${escape(label)}" title="${escape(label)}">${face}</button>`
}

const CLIPBOARD_ICON = ICONS.clipboard
const DOWNLOAD_ICON = ICONS.download

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx]!
  const lang = token.info.trim().split(/\s+/)[0] ?? ''
  const { labels } = env
  // URI-encoded: DOMPurify drops attribute values containing "-->", which every mermaid arrow has.
  if (lang === 'mermaid' && fenceIsClosed(token.map, token.markup, env)) {
    return (
      `<div class="mermaid-frame"><div class="mermaid-tools">` +
      toolButton('download-mermaid', labels.download, 'mermaid-tool', DOWNLOAD_ICON) +
      toolButton('copy-mermaid', labels.copy, 'mermaid-tool', CLIPBOARD_ICON) +
      `</div><div class="mermaid-block" data-mermaid="${encodeURIComponent(token.content)}"></div></div>`
    )
  }
  const highlighted =
    lang && hljs.getLanguage(lang)
      ? hljs.highlight(token.content, { language: lang, ignoreIllegals: true }).value
      : escape(token.content)
  const lineCount = Math.max(1, token.content.replace(/\n$/, '').split('\n').length)
  const numbers = Array.from({ length: lineCount }, (_, i) => `<span>${i + 1}</span>`).join('')
  return (
    `<div class="code-block" data-lang="${escape(lang || 'text')}"><div class="code-block-header"><span class="code-block-lang">${escape(lang || 'text')}</span>` +
    `<div class="code-block-tools">` +
    toolButton('collapse-code', labels.collapse, 'code-block-tool') +
    toolButton('save-code', labels.save, 'code-block-tool') +
    toolButton('copy-code', labels.copy, 'code-block-copy') +
    `</div></div><div class="code-block-body"><div class="code-block-lines" aria-hidden="true">${numbers}</div>` +
    `<pre><code class="hljs${lang ? ` language-${escape(lang)}` : ''}">${highlighted}</code></pre></div></div>`
  )
}

// Tables sit in a frame with copy and CSV download buttons.
md.renderer.rules.table_open = (_tokens, _idx, _options, env: RenderEnv) =>
  `<div class="table-frame"><div class="table-tools">` +
  toolButton('copy-table', env.labels.copy, 'table-tool', CLIPBOARD_ICON) +
  toolButton('download-table', env.labels.download, 'table-tool', DOWNLOAD_ICON) +
  `</div><div class="table-scroll"><table>`
md.renderer.rules.table_close = () => '</table></div></div>'

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // whatever produced it (KaTeX, a renderer bug), no image the policy above refuses reaches the page
  if (node.tagName === 'IMG' && !imageMayLoad(node.getAttribute('src') ?? '')) {
    node.removeAttribute('src')
    node.removeAttribute('srcset')
  }
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
})

export function sanitize(html: string): string {
  return DOMPurify.sanitize(html, {
    ADD_ATTR: ['target', 'referrerpolicy'],
    FORBID_TAGS: ['style', 'form', 'input'],
  })
}

export function renderMarkdown(source: string, options: RenderOptions = {}): string {
  const labels = { ...DEFAULT_LABELS, ...options.labels }
  if (options.copyLabel) labels.copy = options.copyLabel
  const env: RenderEnv = { lines: source.split('\n'), labels }
  return sanitize(md.render(source, env))
}

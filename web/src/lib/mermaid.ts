// Lazy Mermaid: the library is fetched the first time a closed mermaid fence appears.
type MermaidApi = (typeof import('mermaid'))['default']
let loading: Promise<MermaidApi> | null = null
let counter = 0

function load(): Promise<MermaidApi> {
  loading ??= import('mermaid').then(({ default: mermaid }) => {
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: document.documentElement.classList.contains('dark') ? 'dark' : 'default',
    })
    return mermaid
  })
  return loading
}

export async function renderMermaidIn(root: HTMLElement): Promise<void> {
  const blocks = [
    ...root.querySelectorAll<HTMLElement>('.mermaid-block[data-mermaid]:not([data-rendered])'),
  ]
  if (!blocks.length) return
  const mermaid = await load()
  for (const block of blocks) {
    block.dataset.rendered = 'true'
    const source = decodeURIComponent(block.dataset.mermaid ?? '')
    try {
      const { svg } = await mermaid.render(`mermaid-${++counter}`, source)
      block.innerHTML = svg // Mermaid's strict security level sanitises its own SVG output
    } catch (error) {
      block.textContent = `${error instanceof Error ? error.message : 'Mermaid error'}\n\n${source}`
      block.classList.add('whitespace-pre-wrap', 'text-xs', 'bg-red-600/10')
    }
  }
}

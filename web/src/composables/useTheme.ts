// Theme (system / light / dark / OLED dark), mirrored by the inline script in index.html.
export type Theme = 'system' | 'light' | 'dark' | 'oled-dark'

const media = () => window.matchMedia('(prefers-color-scheme: dark)')

export function storedTheme(): Theme {
  const value = localStorage.getItem('theme')
  return value === 'light' || value === 'dark' || value === 'oled-dark' ? value : 'system'
}

export function applyTheme(theme: Theme): void {
  const dark = theme === 'dark' || theme === 'oled-dark' || (theme === 'system' && media().matches)
  const root = document.documentElement
  root.classList.toggle('dark', dark)
  root.classList.toggle('oled-dark', theme === 'oled-dark')
  document
    .querySelector('meta[name=theme-color]')
    ?.setAttribute('content', theme === 'oled-dark' ? '#000000' : dark ? '#171717' : '#ffffff')
}

export function setTheme(theme: Theme): void {
  localStorage.setItem('theme', theme)
  applyTheme(theme)
}

/** Re-applies the theme when the OS switches while the theme is "system". */
export function watchSystemTheme(): void {
  media().addEventListener('change', () => {
    if (storedTheme() === 'system') applyTheme('system')
  })
}

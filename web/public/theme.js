// Apply the stored theme before first paint (no flash of the wrong theme). A file, not an inline
// script, so the production Content-Security-Policy (script-src 'self') allows it; index.html
// loads it synchronously in <head>.
;(function () {
  var theme = localStorage.getItem('theme') || 'system'
  var dark =
    theme === 'dark' ||
    theme === 'oled-dark' ||
    (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches)
  var root = document.documentElement
  root.classList.toggle('dark', dark)
  root.classList.toggle('oled-dark', theme === 'oled-dark')
  var meta = document.querySelector('meta[name=theme-color]')
  if (meta)
    meta.setAttribute('content', theme === 'oled-dark' ? '#000000' : dark ? '#171717' : '#ffffff')
})()

/** The one script: progressive enhancement (copy buttons); every form works without it. */
export const SCRIPT = `// Progressive enhancement only: every form works without this file.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const target = document.getElementById(button.getAttribute('data-copy') || '');
  if (!target) return;
  const text = 'value' in target ? target.value : target.textContent;
  navigator.clipboard.writeText(text || '').then(
    () => {
      button.textContent = 'Copied';
    },
    () => {
      if ('select' in target) target.select();
    },
  );
});
`;

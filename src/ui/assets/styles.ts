/** The one stylesheet (kept as a string so the Worker serves it without a bundler rule). */
export const STYLESHEET = `:root {
  --fg: #1b1f24;
  --muted: #57606a;
  --bg: #f6f7f9;
  --card: #ffffff;
  --line: #d0d7de;
  --accent: #1f5fbf;
  --accent-fg: #ffffff;
  --danger: #b42318;
  --ok: #136c2e;
  --warn: #8a5300;
  --radius: 8px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  line-height: 1.5;
  color: var(--fg);
  background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #f0b429; outline-offset: 2px;
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; }
.skip:focus { left: 1rem; z-index: 10; }
header.site { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.site .brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
header.site nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
main { flex: 1; width: 100%; margin: 2rem auto; padding: 0 1rem; }
main.narrow { max-width: 30rem; }
main.wide { max-width: 60rem; }
main.narrow > * { background: transparent; }
footer.site { color: var(--muted); font-size: .875rem; text-align: center; padding: 1rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
form.stack { display: flex; flex-direction: column; gap: .35rem; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.25rem; }
form.stack button { margin-top: .75rem; }
form.inline { display: inline; margin: 0; }
label { font-weight: 600; margin-top: .5rem; }
input[type=email], input[type=password], input[type=text], input[type=url], select, textarea {
  font: inherit; padding: .55rem .65rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--fg); width: 100%;
}
textarea { min-height: 5rem; }
button, .button {
  font: inherit; font-weight: 600; cursor: pointer; display: inline-block; text-decoration: none;
  padding: .55rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg);
}
button.secondary, .button.secondary { background: var(--card); color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; font-weight: 400; }
.help, .muted { color: var(--muted); font-size: .9rem; margin: 0; }
.notice { border-radius: var(--radius); padding: .75rem 1rem; margin: 0 0 1rem; border: 1px solid; }
.notice.error { background: #fdecea; border-color: #f5c2bd; color: var(--danger); }
.notice.success { background: #e8f5ec; border-color: #b7dfc3; color: var(--ok); }
.notice.info { background: #eaf1fb; border-color: #bcd0ee; color: #173f7a; }
.notice.warning { background: #fff4e0; border-color: #f2d39a; color: var(--warn); }
.badge { font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; border: 1px solid; white-space: nowrap; }
.badge.ok { color: var(--ok); border-color: #b7dfc3; background: #e8f5ec; }
.badge.warn { color: var(--warn); border-color: #f2d39a; background: #fff4e0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
code { background: #eef1f4; padding: .1rem .3rem; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: #eef1f4; padding: .75rem; border-radius: 6px; overflow-x: auto; }
.url code { font-size: 1.05rem; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.secret { display: flex; gap: .5rem; align-items: stretch; flex-wrap: wrap; }
.secret input { flex: 1; min-width: 12rem; font-family: ui-monospace, monospace; }
.scopes li { margin: .25rem 0; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
form.decision { margin: 1.5rem 0 .5rem; }
.providers { display: flex; flex-direction: column; gap: .5rem; margin: 1.25rem 0; }
.providers-heading { font-size: 1rem; margin: 0; color: var(--muted); font-weight: 600; }
.providers form { margin: 0; }
.providers button { width: 100%; }
form.decision .actions { margin-top: 0; }
@media (max-width: 40rem) {
  table { display: block; overflow-x: auto; max-width: 100%; }
  header.site { padding: .75rem 1rem; }
  main { margin: 1rem auto; }
  dl.facts { grid-template-columns: 1fr; }
  th, td { padding: .4rem; }
}
`;

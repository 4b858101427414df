/**
 * The portal's one stylesheet, served from the app (`/static/portal.css`)
 * so the CSP can stay `style-src 'self'`. Light and dark follow the
 * system setting; focus is always visible for keyboard users.
 */
export const PORTAL_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #1b1f24; --muted: #57606a; --border: #d0d7de;
  --accent: #0a58ca; --accent-text: #ffffff; --danger: #b42318; --warn-bg: #fff4e5; --warn-border: #f5a524;
  --ok: #1a7f37; --pending: #9a6700; --focus: #1f6feb;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9da7b3; --border: #30363d;
    --accent: #4493f8; --accent-text: #0d1117; --danger: #ff7b72; --warn-bg: #2d2208; --warn-border: #d29922;
    --ok: #3fb950; --pending: #d29922; --focus: #79c0ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--card); padding: .5rem; }
header.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: .75rem 1.5rem; border-bottom: 1px solid var(--border); background: var(--card); }
header.top .brand { font-weight: 700; }
header.top form { margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
.cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 1.25rem; }
.muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
fieldset { border: 1px solid var(--border); border-radius: 6px; margin: .75rem 0; padding: .5rem .75rem; }
fieldset label { display: inline-flex; gap: .35rem; align-items: center; font-weight: 400; margin: .25rem 1rem .25rem 0; }
label.check { display: flex; gap: .5rem; align-items: flex-start; font-weight: 400; }
input[type=text], input[type=url], input[type=email] { width: 100%; padding: .5rem; font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; }
input[aria-invalid=true] { border-color: var(--danger); }
button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); cursor: pointer; margin-top: .75rem; }
button.secondary { background: transparent; color: var(--accent); }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
.error { color: var(--danger); font-weight: 600; margin: .25rem 0 0; }
.alert { border: 1px solid var(--danger); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
.notice { border: 1px solid var(--ok); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
.warning { background: var(--warn-bg); border: 1px solid var(--warn-border); border-radius: 6px; padding: .75rem; }
details { margin-top: .75rem; }
summary { cursor: pointer; font-weight: 600; color: var(--accent); }
.secret { display: block; padding: .5rem; margin-top: .5rem; border: 1px dashed var(--border); border-radius: 6px; }
.badge { display: inline-block; padding: .05rem .6rem; border-radius: 999px; font-size: .85rem; font-weight: 700; border: 1px solid currentColor; }
.badge-active { color: var(--ok); }
.badge-pending { color: var(--pending); }
.badge-failed { color: var(--danger); }
dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: .25rem .75rem; }
dt { color: var(--muted); }
dd { margin: 0; }
nav.nav { margin: 0 0 1rem; display: flex; gap: 1rem; }
ul.event-types { list-style: none; padding: 0; display: grid; gap: .75rem; }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
pre.example { overflow-x: auto; padding: .5rem; border: 1px solid var(--border); border-radius: 6px; background: var(--bg); }
select { font: inherit; padding: .4rem; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; }
form.test-event { border-top: 1px solid var(--border); padding-top: .5rem; margin-top: .75rem; }
input[type=datetime-local] { font: inherit; padding: .4rem; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; }
form.replay-since { margin-bottom: 1rem; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
caption { text-align: left; color: var(--muted); font-size: .9rem; padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .5rem; border-bottom: 1px solid var(--border); }
form.replay-one { margin: 0; }
form.replay-one button { margin-top: 0; }
.badge-replayed { color: var(--ok); }
form.inline { display: inline-flex; gap: .5rem; align-items: center; margin: 0 .5rem .25rem 0; }
form.inline label { font-weight: 400; }
form.inline button { margin-top: 0; }
button.danger { background: transparent; color: var(--danger); border-color: var(--danger); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

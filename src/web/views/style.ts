/**
 * The one stylesheet, served at a content-hashed URL so browsers keep it for a year.
 * Colours meet WCAG AA contrast on white; states are never told by colour alone (each badge has its word).
 */
export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --soft: #f6f8fa; --link: #0b5cad;
  --vulnerable: #a40e26; --fixed: #116329; --not-affected: #3c4650; --rejected: #6639ba; --unknown: #7d4e00; }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.site .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
header.site nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
header.site form { margin-left: auto; display: flex; gap: .25rem; }
header.site .account { margin: 0; display: flex; gap: .5rem; align-items: center; }
main { padding: 1rem; max-width: 80rem; margin: 0 auto; }
footer.site { padding: 1rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .875rem; }
footer.site ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-scroll { overflow-x: auto; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .25rem; font-size: .85rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.state-vulnerable { color: var(--vulnerable); }
.state-fixed { color: var(--fixed); }
.state-not-affected { color: var(--not-affected); }
.state-rejected { color: var(--rejected); }
.state-unknown { color: var(--unknown); }
.severity-critical, .severity-high { color: var(--vulnerable); }
.severity-medium { color: var(--unknown); }
.severity-low, .severity-none { color: var(--not-affected); }
.muted { color: var(--muted); }
.triage-affected, .triage-under-investigation, .review, .problem { color: var(--vulnerable); }
.triage-not-affected, .triage-fixed { color: var(--fixed); }
.triage-pending-upstream-fix, .triage-fix-not-planned, .triage-analysis-not-planned, .triage-fix-pending-publication { color: var(--unknown); }
form.triage textarea { font: inherit; }
.eol, .triage-end-of-life { color: var(--muted); }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin: .5rem 0 1rem; padding: .75rem; background: var(--soft); border: 1px solid var(--line); border-radius: .25rem; }
form.filters label { display: flex; flex-direction: column; font-size: .875rem; }
input, select, button { font: inherit; padding: .25rem .4rem; border: 1px solid #6e7781; border-radius: .25rem; background: var(--bg); color: var(--fg); }
button { background: var(--link); color: #fff; border-color: var(--link); cursor: pointer; }
nav.pages { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; }
.chart svg { max-width: 100%; height: auto; }
.chart .axis { stroke: var(--muted); }
.chart text { fill: var(--fg); font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; overflow-wrap: anywhere; }
ul.inline { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; }
.description { white-space: pre-wrap; max-width: 60rem; }
@media (max-width: 40rem) { header.site form { margin-left: 0; width: 100%; } header.site form input { flex: 1; } th, td { padding: .3rem; } }
`;

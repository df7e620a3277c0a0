/** The stylesheet of the /docs page, inline and allowed by its hash (docs.ts). System fonts only. */
export const DOCS_STYLE = `
:root {
  --ink: #1d2433; --muted: #5b6475; --line: #e3e7ee; --soft: #f6f8fb; --accent: #b4232a;
  --get: #1f6feb; --post: #1a7f37; --code: #f1f3f7;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
  color: var(--ink); background: #fff; font-size: 15px; line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--get); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.88em; }
code { background: var(--code); border-radius: 4px; padding: 0.05em 0.35em; }
pre { background: #0f1623; color: #e6edf3; padding: 12px 14px; border-radius: 8px; overflow-x: auto; line-height: 1.45; }
pre code { background: none; padding: 0; color: inherit; font-size: 1em; }
.muted { color: var(--muted); font-weight: normal; }
.top {
  position: sticky; top: 0; z-index: 2; display: flex; align-items: baseline; gap: 16px;
  padding: 12px 24px; background: #fff; border-bottom: 3px solid var(--accent);
}
.top h1 { margin: 0; font-size: 20px; }
.top .raw { margin-left: auto; }
.layout { display: grid; grid-template-columns: 290px minmax(0, 1fr); }
nav {
  position: sticky; top: 56px; align-self: start; max-height: calc(100vh - 56px); overflow-y: auto;
  min-height: calc(100vh - 56px); padding: 16px 12px 24px 20px; border-right: 1px solid var(--line);
  background: var(--soft); font-size: 13.5px;
}
nav ul { list-style: none; margin: 0; padding: 0; }
nav li { margin: 2px 0; }
nav ul ul { margin: 2px 0 10px 0; }
.nav-tag { display: block; font-weight: 600; color: var(--ink); margin-top: 8px; }
.nav-op { display: block; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
main { padding: 8px 32px 64px; max-width: 1100px; }
.tag { padding-top: 8px; }
.tag > h2 { font-size: 22px; margin: 28px 0 4px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.lead p { font-size: 15.5px; }
.steps li { margin-bottom: 12px; }
.op { border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; margin: 16px 0; background: #fff; }
.op-head { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin: 0 0 6px; font-size: 16px; }
.op-head .summary { font-weight: 500; color: var(--muted); }
.path { font-size: 15px; font-weight: 600; background: none; padding: 0; }
.method {
  display: inline-block; min-width: 52px; text-align: center; padding: 2px 8px; border-radius: 5px;
  color: #fff; font-size: 12px; font-weight: 700; letter-spacing: 0.04em; background: var(--muted);
}
.method.small { min-width: 38px; padding: 0 4px; font-size: 10px; }
.m-get { background: var(--get); }
.m-post { background: var(--post); }
.op h4 { margin: 16px 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.desc p { margin: 4px 0; }
.auth { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
.chip { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; border: 1px solid var(--line); background: var(--soft); color: var(--ink); }
.chip.scope { background: #fff4e5; border-color: #f5c77e; }
.chip.open { background: #eef6ee; border-color: #b7dbb9; }
table.fields { width: 100%; border-collapse: collapse; font-size: 13.5px; margin: 4px 0 8px; }
.fields th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px 8px; }
.fields td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
.fields td.name { white-space: nowrap; }
.fields td.type { color: #6f42c1; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; white-space: nowrap; }
.fields td.in { color: var(--muted); }
.fields .d1 { padding-left: 26px; } .fields .d2 { padding-left: 44px; } .fields .d3 { padding-left: 62px; }
.fields .d4 { padding-left: 80px; } .fields .d5 { padding-left: 98px; } .fields .d6 { padding-left: 116px; }
.fields tr.variant td { background: var(--soft); font-size: 13px; }
.fields tr.more td { color: var(--muted); font-style: italic; font-size: 12.5px; }
.when { font-weight: 600; margin-right: 8px; }
.req { margin-left: 6px; font-size: 11px; color: var(--accent); }
.fact { color: var(--muted); font-size: 12.5px; }
.fact .label { font-style: italic; }
.fact code { display: inline-block; margin: 1px 4px 1px 0; }
.fields td.desc { overflow-wrap: anywhere; }
[id] { scroll-margin-top: 72px; }
.responses { display: grid; gap: 6px; }
.response { display: grid; grid-template-columns: 56px minmax(0, 1fr); gap: 10px; align-items: start; border-top: 1px solid var(--line); padding-top: 6px; }
.response p { margin: 2px 0; }
.status { font-weight: 700; border-radius: 5px; text-align: center; padding: 1px 0; font-size: 13px; }
.s2 { background: #dafbe1; color: #1a7f37; } .s3 { background: #ddf4ff; color: #0969da; }
.s4 { background: #fff1e5; color: #bc4c00; } .s5 { background: #ffebe9; color: #cf222e; }
ul.codes { margin: 2px 0 4px; padding-left: 18px; font-size: 13.5px; }
.headers, .ctype { font-size: 12.5px; color: var(--muted); margin: 4px 0; }
.headers code { display: inline-block; margin-right: 4px; }
details { margin: 4px 0; }
details > summary { cursor: pointer; color: var(--get); font-size: 13px; }
details.schema-def { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
details.schema-def > summary { color: var(--ink); font-size: 14px; }
.error { color: var(--accent); font-weight: 600; }
@media (max-width: 800px) {
  .layout { grid-template-columns: 1fr; }
  nav { position: static; max-height: none; min-height: 0; border-right: 0; border-bottom: 1px solid var(--line); }
  main { padding: 8px 14px 48px; }
}
`;

// Markdown (qualify's job summary) -> a standalone HTML page styled like GitHub renders it.
//   node ci/render/render.mjs SUMMARY.md OUT.html [TITLE] [--open]
// --open renders every <details> expanded (to look at what a reader sees after clicking).
// marked with GFM (tables, autolinks, raw HTML such as <details>) and github-markdown-css (light).
// The page records its own height in <body data-height> so a headless browser can size a screenshot.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { marked } from "marked";

const args = process.argv.slice(2);
const open = args.includes("--open");
const [input, output, title = "Job summary"] = args.filter((a) => a !== "--open");
if (!input || !output) {
  console.error("usage: node render.mjs SUMMARY.md OUT.html [TITLE]");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const css = readFileSync(join(here, "node_modules/github-markdown-css/github-markdown-light.css"), "utf8");
let body = marked.parse(readFileSync(input, "utf8"), { gfm: true });
if (open) body = body.replaceAll("<details>", "<details open>");
const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

writeFileSync(
  output,
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body { margin: 0; background: #f6f8fa; }
.frame { box-sizing: border-box; width: 100%; padding: 16px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
.card > h3 { margin: 0; padding: 12px 16px; font: 600 14px -apple-system, "Segoe UI", sans-serif; border-bottom: 1px solid #d0d7de; }
.markdown-body { padding: 16px 24px; font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; }
</style></head>
<body><div class="frame"><div class="card"><h3>${escapeHtml(title)}</h3>
<article class="markdown-body">
${body}
</article></div></div>
<script>document.body.dataset.height = String(Math.ceil(document.documentElement.scrollHeight));</script>
</body></html>
`,
);

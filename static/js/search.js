// Runs only on /search/: loads Pagefind's index on demand and lists the pages matching ?q=.
// The index comes in bundles, one per large section (see flaskguide/search.py): load the first,
// merge the others.
const results = document.getElementById("search-results");
const query = new URLSearchParams(location.search).get("q") || "";
const box = document.getElementById("search-box");
if (box) box.value = query;

function show(html) {
  results.innerHTML = html;
}

function escapeText(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

async function loadIndex(root) {
  const bundles = await (await fetch(root + "bundles.json")).json();
  const baseUrl = new URL(root + "../", location.href).pathname;
  const pagefind = await import(root + bundles[0] + "pagefind.js");
  await pagefind.options({ baseUrl });
  for (const bundle of bundles.slice(1)) {
    await pagefind.mergeIndex(root + bundle, { baseUrl });
  }
  return pagefind;
}

async function run() {
  if (!query.trim()) {
    show("<p>Type a word in the search box above.</p>");
    return;
  }
  const pagefind = await loadIndex(results.dataset.bundle);
  const search = await pagefind.search(query);
  const found = await Promise.all(search.results.slice(0, 20).map((result) => result.data()));
  if (!found.length) {
    show(`<p>No page mentions “${escapeText(query)}”.</p>`);
    return;
  }
  const items = found.map(
    (page) =>
      `<li><a href="${escapeText(page.url)}">${escapeText(page.meta.title || page.url)}</a>` +
      `<p>${page.excerpt}</p></li>`,
  );
  show(
    `<p>${found.length} ${found.length === 1 ? "page" : "pages"} for “${escapeText(query)}”:</p>` +
      `<ul class="page-list search-list">${items.join("")}</ul>`,
  );
}

run().catch((error) => show(`<p>Search is not available here: ${escapeText(String(error))}</p>`));

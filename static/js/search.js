// Runs only on /search/: loads Pagefind's index on demand and lists the pages matching ?q=, a batch
// at a time. The index comes in bundles, one per large section (see flaskguide/search.py): load the
// first, merge the others.
// A classic script, not a module: Chromium refuses module scripts on a page opened from disk, and
// there this one must still run, to say that search needs a web server.
"use strict";
(() => {
  const BATCH = 10; // results shown at a time: each one fetches its page's fragment of the index
  const SECTIONS = 3; // links to a result's matching sections, at most (as Pagefind's own UI)

  const region = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  const query = new URLSearchParams(location.search).get("q") || "";
  // The page's own box (templates/search.html) shows what was searched for, ready to be changed.
  const box = document.getElementById("search-query");
  if (box) box.value = query;

  // An element with attributes and children; strings become text nodes, never markup.
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  // Pagefind's excerpts are the page's text with "<" and ">" escaped and the words found wrapped in
  // <mark>: that tag is the only markup made of them, the rest is text.
  function excerpt(html) {
    const paragraph = element("p", { class: "search-excerpt" });
    html.split(/<\/?mark>/).forEach((part, index) => {
      const text = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
      paragraph.append(index % 2 ? element("mark", {}, text) : text);
    });
    return paragraph;
  }

  // From disk a folder does not open its index.html, so the link must name it.
  function href(url) {
    return location.protocol === "file:" ? url.replace(/\/(?=#|$)/, "/index.html") : url;
  }

  // The words found before the page's first heading (that part links to the page itself), and up
  // to SECTIONS headings under which they are found: best first, then in the page's order.
  function parts(page) {
    const all = page.sub_results || [];
    const top = all.find((part) => !part.anchor);
    const headed = all
      .filter((part) => part.anchor)
      .sort((a, b) => b.locations.length - a.locations.length)
      .slice(0, SECTIONS)
      .sort((a, b) => a.anchor.location - b.anchor.location);
    return { top, headed };
  }

  function result(page) {
    const { top, headed } = parts(page);
    const item = element(
      "li",
      { class: "search-result" },
      element("a", { href: href(page.url), class: "search-title" }, page.meta.title || page.url),
    );
    // The page's own excerpt would repeat a section's.
    if (top || !headed.length) item.append(excerpt((top || page).excerpt));
    if (headed.length) {
      const list = headed.map((part) =>
        element("li", {}, element("a", { href: href(part.url) }, part.title), excerpt(part.excerpt)),
      );
      item.append(element("ul", { class: "search-sections" }, ...list));
    }
    return item;
  }

  function pages(count) {
    return `${count} ${count === 1 ? "page" : "pages"}`;
  }

  async function loadIndex(bundle) {
    // Absolute, as import() would resolve a relative path against this script, not the page.
    const root = new URL(bundle, location.href).href;
    const bundles = await (await fetch(root + "bundles.json")).json();
    const baseUrl = new URL("../", root).pathname;
    const pagefind = await import(root + bundles[0] + "pagefind.js");
    await pagefind.options({ baseUrl });
    for (const other of bundles.slice(1)) {
      await pagefind.mergeIndex(root + other, { baseUrl });
    }
    return pagefind;
  }

  async function run() {
    if (!query.trim()) {
      status.textContent = "Type a word in the search box.";
      return;
    }
    status.textContent = "Searching…";
    const pagefind = await loadIndex(region.dataset.bundle);
    const matches = (await pagefind.search(query)).results;
    const quoted = `“${query}”`;
    if (!matches.length) {
      // The guide's sections instead, listed by the template and hidden until now.
      const sections = document.getElementById("search-none");
      status.textContent = `No page mentions ${quoted}.${sections ? " Try another word, or a section of the guide." : ""}`;
      if (sections) sections.hidden = false;
      return;
    }
    const list = element("ol", { class: "page-list search-list" });
    const more = element("button", { type: "button", class: "search-more" });
    let shown = 0;
    let busy = false;

    async function showMore() {
      if (busy) return;
      busy = true;
      try {
        const batch = await Promise.all(matches.slice(shown, shown + BATCH).map((match) => match.data()));
        const items = batch.map(result);
        list.append(...items);
        shown += items.length;
        const left = matches.length - shown;
        const counted = `${pages(matches.length)} ${matches.length === 1 ? "matches" : "match"} ${quoted}`;
        status.textContent = left ? `${counted}, ${shown} shown.` : `${counted}.`;
        if (left) {
          const next = Math.min(left, BATCH);
          more.textContent = `Show ${next} more ${next === 1 ? "result" : "results"}`;
        } else {
          more.remove();
        }
        return items[0];
      } finally {
        busy = false;
      }
    }

    region.append(list);
    await showMore();
    if (shown < matches.length) {
      region.append(more);
      more.addEventListener("click", () => {
        // The first new result takes the focus: the reader goes on from where the list grew, and
        // the button may be gone.
        showMore()
          .then((first) => first && first.querySelector("a").focus())
          .catch(fail);
      });
    }
  }

  function fail(error) {
    status.textContent =
      location.protocol === "file:"
        ? "Search needs a web server: a page opened from disk cannot load the search index."
        : `Search is not available here: ${error}`;
    document.getElementById("search-elsewhere").hidden = false;
  }

  run().catch(fail);
})();

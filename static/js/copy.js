// Code blocks: a "Copy" button in each one's top row, which puts the code on the clipboard and says
// so, on the button and through a polite live region; and a block too wide for the screen takes the
// keyboard's focus, so arrow keys scroll it. Optional: without JavaScript, or without a clipboard to
// write to (a page served over plain http from another machine), there is no button and the code
// reads as before. Line numbers are CSS content (::before), not text: code.textContent has none.
"use strict";
(() => {
  const SHOWN = 2000; // ms the button says "Copied" (or "Not copied") before it offers to copy again
  const clipboard = navigator.clipboard;
  const blocks = [...document.querySelectorAll("div.highlight")].filter((block) =>
    block.querySelector("pre > code"),
  );
  if (!blocks.length) return;

  // Chromium and Firefox let the keyboard into a scrolling box by themselves; Safari does not.
  function focusableWhileScrolling(pre) {
    const update = () => {
      if (pre.scrollWidth > pre.clientWidth) pre.tabIndex = 0;
      else pre.removeAttribute("tabindex");
    };
    update();
    new ResizeObserver(update).observe(pre);
  }
  blocks.forEach((block) => focusableWhileScrolling(block.querySelector("pre > code").parentElement));
  if (!clipboard || !clipboard.writeText) return;

  // One live region for the page, inside <main> so that its words belong to a landmark.
  const status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  (document.querySelector("main") || document.body).append(status);

  // "Copy", read as "Copy code"; or, for a while, what happened.
  function label(button, said) {
    if (said) {
      button.textContent = said;
      return;
    }
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " code";
    button.replaceChildren("Copy", hidden);
  }

  for (const block of blocks) {
    const code = block.querySelector("pre > code");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    label(button);
    let timer = 0;

    function say(buttonText, message) {
      clearTimeout(timer);
      label(button, buttonText);
      status.textContent = message;
      timer = setTimeout(() => {
        label(button);
        status.textContent = "";
      }, SHOWN);
    }

    button.addEventListener("click", () => {
      // The last line's newline stays behind: pasted into a shell, it would run the line.
      clipboard.writeText(code.textContent.replace(/\n$/, "")).then(
        () => say("Copied", "Copied"),
        () => say("Not copied", "Copying failed: select the code and copy it by hand."),
      );
    });
    // After the file name when there is one, so the keyboard reaches the name, the button, the code.
    const filename = block.querySelector(":scope > .filename");
    if (filename) filename.after(button);
    else block.prepend(button);
  }
})();

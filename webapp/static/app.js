// Send the CSRF token with every htmx request (forms carry it as a hidden field too).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});

// Campaign text: a placeholder tag inserts itself at the cursor; a template replaces the text.
// Either way the text box's input event refreshes the live counter.
document.addEventListener("click", function (event) {
  var tag = event.target.closest("[data-insert]");
  if (!tag) { return; }
  var box = document.getElementById(tag.dataset.target);
  var start = box.selectionStart || box.value.length, end = box.selectionEnd || start;
  box.value = box.value.slice(0, start) + tag.dataset.insert + box.value.slice(end);
  box.focus();
  // "Insert link" leaves the cursor inside #link(https://…) for the address (data-cursor-back)
  box.selectionStart = box.selectionEnd = start + tag.dataset.insert.length - Number(tag.dataset.cursorBack || 0);
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
document.addEventListener("change", function (event) {
  var select = event.target.closest("[data-template-into]");
  if (!select || !select.value) { return; }
  var box = document.getElementById(select.dataset.templateInto);
  box.value = select.value;
  box.dispatchEvent(new Event("input", { bubbles: true }));
});

// A form re-rendered with its errors comes back as 422 (402: not enough credit, 409: a step
// out of order): swap it in like a 200, so the errors show where they belong.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "(402|409|422)", swap: true, error: false },
  { code: "[45]..", swap: false, error: true },
  { code: "...", swap: false }
];

// A form, or the button that submits it, with data-confirm asks first; no inline handlers, so
// the Content-Security-Policy can forbid inline scripts. Runs before htmx sees the submit.
document.addEventListener("submit", function (event) {
  var button = event.submitter, form = event.target;
  var question = (button && button.dataset && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// data-clear="#id" empties that element when clicked; data-clear-after-request="#id" when the
// element's htmx request has finished (the template picker closes itself).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-clear]");
  var target = button && document.querySelector(button.dataset.clear);
  if (target) { target.innerHTML = ""; }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var selector = event.detail.elt && event.detail.elt.dataset && event.detail.elt.dataset.clearAfterRequest;
  var target = selector && document.querySelector(selector);
  if (target) { target.innerHTML = ""; }
});

// data-copy="#id": the button copies that input's value (a URL to paste into a provider's panel),
// selecting it too, so Ctrl+C works where the clipboard API is not allowed (plain http).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  var input = button && document.querySelector(button.dataset.copy);
  if (!input) { return; }
  input.focus();
  input.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(function () {
      button.textContent = button.dataset.copied || button.textContent;
    }, function () {});
  }
});

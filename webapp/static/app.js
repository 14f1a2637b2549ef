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
  box.selectionStart = box.selectionEnd = start + tag.dataset.insert.length;
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

// Bashoutter's page: plain JavaScript, no build step. It reads the API's URL from
// config.json, which the stack writes at deploy time (and the local mode serves), then
// talks to the API with fetch. Text from the API is only ever set with textContent, so
// a haiku cannot inject HTML.

const form = document.getElementById("post-form");
const errorBox = document.getElementById("error");
const list = document.getElementById("haiku-list");
const empty = document.getElementById("empty");
const more = document.getElementById("more");
const template = document.getElementById("haiku-template");

let api = "";
let next = "";

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

// call sends one request and returns the parsed JSON body (null for 204). A non-2xx
// answer throws an Error with the API's message.
async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(api + path, init);
  } catch (e) {
    throw new Error(`The API at ${api} did not answer (${e.message}). Is it deployed, or is the local mode running?`);
  }
  if (resp.status === 204) return null;
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const reason = resp.status === 429 ? "Too many requests: the API is throttled, try again in a moment." : data.message;
    throw new Error(reason || `${method} ${path} failed with HTTP ${resp.status}`);
  }
  return data;
}

// checkLine is the API's check of one field (internal/textcheck.Line, same rules and
// same message), run before sending so the learner sees at once which character is
// refused: C0/C1 controls and line breaks, bidi embeddings/overrides/isolates,
// U+FFFD (and unpaired surrogates, which JSON turns into it), noncharacters. Emoji
// sequences (ZWJ, variation selectors, skin tones, keycaps, flags) and Japanese pass.
const refusedNames = {
  0x00: "NULL (control, Cc)", 0x07: "BELL (control, Cc)", 0x08: "BACKSPACE (control, Cc)",
  0x09: "CHARACTER TABULATION (tab, Cc)", 0x0a: "LINE FEED (line break, Cc)", 0x0b: "LINE TABULATION (control, Cc)",
  0x0c: "FORM FEED (control, Cc)", 0x0d: "CARRIAGE RETURN (line break, Cc)", 0x1b: "ESCAPE (control, Cc)",
  0x7f: "DELETE (control, Cc)", 0x85: "NEXT LINE (control, Cc)",
  0x2028: "LINE SEPARATOR (Zl)", 0x2029: "PARAGRAPH SEPARATOR (Zp)",
  0x202a: "LEFT-TO-RIGHT EMBEDDING (bidi, Cf)", 0x202b: "RIGHT-TO-LEFT EMBEDDING (bidi, Cf)",
  0x202c: "POP DIRECTIONAL FORMATTING (bidi, Cf)", 0x202d: "LEFT-TO-RIGHT OVERRIDE (bidi, Cf)",
  0x202e: "RIGHT-TO-LEFT OVERRIDE (bidi, Cf)", 0x2066: "LEFT-TO-RIGHT ISOLATE (bidi, Cf)",
  0x2067: "RIGHT-TO-LEFT ISOLATE (bidi, Cf)", 0x2068: "FIRST STRONG ISOLATE (bidi, Cf)",
  0x2069: "POP DIRECTIONAL ISOLATE (bidi, Cf)", 0xfffd: "REPLACEMENT CHARACTER (So)",
};

function describe(cp) {
  const hex = "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
  if (cp in refusedNames) return `${hex} ${refusedNames[cp]}`;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `${hex} (control, Cc)`;
  return `${hex} (noncharacter, Cn)`;
}

function checkLine(name, value) {
  let position = 0;
  for (const ch of value) {
    position++;
    const cp = ch.codePointAt(0);
    let reason = "";
    if (cp >= 0xd800 && cp <= 0xdfff) {
      return `${name}: character ${position}, U+${cp.toString(16).toUpperCase()} (unpaired surrogate, Cs), is not allowed: it replaces text that was lost before it arrived (invalid UTF-8, or an unpaired surrogate such as \\ud800 in JSON)`;
    } else if (cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029) {
      reason = "this field is one line";
    } else if (cp === 0x09) {
      reason = "this field is one line of text; use spaces";
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      reason = "control characters cannot be shown";
    } else if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
      reason = "bidirectional formatting characters can reorder how the text around them is displayed";
    } else if (cp === 0xfffd) {
      reason = "it replaces text that was lost before it arrived (invalid UTF-8, or an unpaired surrogate such as \\ud800 in JSON)";
    } else if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) {
      reason = "noncharacters are reserved for internal use";
    }
    if (reason) return `${name}: character ${position}, ${describe(cp)}, is not allowed: ${reason}`;
  }
  return "";
}

// trimSpace trims what Go's strings.TrimSpace trims (Unicode White_Space), so that
// positions match the API's.
const trimSpace = (s) => s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, "");

function render(item) {
  const li = template.content.firstElementChild.cloneNode(true);
  li.dataset.id = item.item_id;
  li.querySelector(".first").textContent = item.first;
  li.querySelector(".second").textContent = item.second;
  li.querySelector(".third").textContent = item.third;
  li.querySelector(".username").textContent = "— " + item.username;
  const created = li.querySelector(".created");
  created.dateTime = item.created_at;
  created.textContent = new Date(item.created_at).toLocaleString();
  li.querySelector(".likes").textContent = String(item.likes);

  li.querySelector(".like").addEventListener("click", async () => {
    try {
      const r = await call("PATCH", "/haiku/" + encodeURIComponent(item.item_id));
      li.querySelector(".likes").textContent = String(r.likes);
      showError("");
    } catch (e) {
      showError(e.message);
    }
  });
  li.querySelector(".delete").addEventListener("click", async () => {
    try {
      await call("DELETE", "/haiku/" + encodeURIComponent(item.item_id));
      li.remove();
      empty.hidden = list.children.length > 0;
      showError("");
    } catch (e) {
      showError(e.message);
    }
  });
  return li;
}

// load shows the first page (reset) or appends the next one.
async function load(reset) {
  const query = new URLSearchParams({ limit: "20" });
  if (!reset && next) query.set("next", next);
  const page = await call("GET", "/haiku?" + query);
  if (reset) list.replaceChildren();
  for (const item of page.items) list.append(render(item));
  next = page.next || "";
  more.hidden = !next;
  empty.hidden = list.children.length > 0;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  for (const name of ["username", "first", "second", "third"]) {
    const problem = checkLine(name, trimSpace(data[name] || ""));
    if (problem) {
      showError(problem);
      return;
    }
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await call("POST", "/haiku", {
      username: data.username, first: data.first, second: data.second, third: data.third,
    });
    form.reset();
    showError("");
    await load(true);
  } catch (e) {
    showError(e.message);
  } finally {
    button.disabled = false;
  }
});

more.addEventListener("click", () => load(false).catch((e) => showError(e.message)));

async function start() {
  try {
    const resp = await fetch("config.json", { cache: "no-store" });
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    api = String((await resp.json()).apiUrl || "").replace(/\/+$/, "");
    if (!api) throw new Error("no apiUrl in it");
  } catch (e) {
    showError(`config.json could not be read (${e.message}): deploy the Bashoutter stack, or run make bashoutter-local.`);
    return;
  }
  document.body.dataset.ready = "true";
  await load(true).catch((e) => showError(e.message));
}

start();

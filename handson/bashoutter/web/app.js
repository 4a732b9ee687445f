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

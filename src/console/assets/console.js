// The sagemaker-images console: a small single-page app over the console's JSON and the control plane.
// Every view reads one page from the server; views with resources in a transitional status are read again
// every second, the others every few seconds, and the page is redrawn only when what it shows changed.
"use strict";

const CONSOLE = "/_sagemaker-images/console";
const CONTROL = "/_sagemaker-images";
const TRANSITIONING_OPERATIONS = ["CreateImage", "UpdateImage", "DeleteImage", "CreateImageVersion", "DeleteImageVersion"];
// How often a view is read again: fast while something on it is moving, slower otherwise.
const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 2000;

const state = {
  csrfToken: null,
  scope: null,
  scopes: [],
  // Tokens of the pages before the current one, and the current one's, for Previous and Next.
  pages: [],
  pageToken: null,
  nameContains: "",
  requestFilter: { operation: "", errorsOnly: false },
  selectedRequest: null,
  shown: "",
  moving: false,
  lastRead: 0,
};

// Builds an element: h("a", {href: "#"}, "text", child, ...). Text is always set as text, never as HTML.
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

class Refused extends Error {
  constructor(status, body) {
    super((body && (body.message || body.Message)) || `The server answered ${status}.`);
    this.status = status;
    this.code = body && body.__type;
  }
}

async function readJson(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Refused(response.status, body);
  return body;
}

function api(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const suffix = query.toString() ? `?${query}` : "";
  return fetch(`${CONSOLE}/api/${path}${suffix}`, { credentials: "same-origin" }).then(readJson);
}

// A call of the control plane: the same endpoints the test suite uses, with this session's CSRF token.
function control(method, path, body) {
  return fetch(`${CONTROL}/${path}`, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": state.csrfToken },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(readJson);
}

function notify(text, kind) {
  const notice = document.getElementById("notice");
  notice.replaceChildren(text ? h("p", { className: `notice ${kind || "info"}` }, text) : "");
}

function time(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const date = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function isMoving(status) {
  return /ING$/.test(status || "");
}

function badge(status) {
  const kind = !status ? "none"
    : /FAILED$/.test(status) ? "failed"
    : isMoving(status) ? "moving"
    : status === "DELETED" ? "gone" : "ok";
  return h("span", { className: `status ${kind}`, "data-status": status }, status || "—");
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    notify(`Copied the ${what}.`);
  } catch (_) {
    notify(`Copy this ${what}: ${text}`);
  }
}

function arn(value, what) {
  if (!value) return "";
  return h("span", { className: "arn" },
    h("code", {}, value),
    h("button", { type: "button", className: "copy", "aria-label": `Copy the ${what}`, onclick: () => copy(value, what) }, "Copy"));
}

function tags(list) {
  if (!list || list.length === 0) return h("span", { className: "muted" }, "none");
  return h("ul", { className: "tags" }, list.map((t) => h("li", {}, h("b", {}, t.Key), "=", t.Value)));
}

// A table that becomes a list of cards on a narrow window: each cell carries its column's name.
function table(caption, columns, rows) {
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.length === 0
      ? h("tr", {}, h("td", { colspan: columns.length, className: "empty" }, "Nothing here yet."))
      : rows.map((cells) => h("tr", {}, cells.map((cell, i) => h("td", { "data-label": columns[i] }, cell))))));
}

function pager(nextToken) {
  const previous = state.pages.length > 0;
  if (!previous && !nextToken) return "";
  return h("div", { className: "pager" },
    h("button", { type: "button", disabled: !previous, onclick: () => { state.pageToken = state.pages.pop() || null; refresh(true); } }, "← Previous page"),
    h("button", { type: "button", disabled: !nextToken, onclick: () => { state.pages.push(state.pageToken); state.pageToken = nextToken; refresh(true); } }, "Next page →"));
}

function scopeParams() {
  return state.scope ? { account: state.scope.account, region: state.scope.region } : {};
}

function nameFilter(label) {
  const input = h("input", { type: "search", id: "name-filter", value: state.nameContains, placeholder: "Name contains" });
  return h("form", { className: "filter", role: "search", onsubmit: (event) => {
    event.preventDefault();
    state.nameContains = input.value.trim();
    state.pages = [];
    state.pageToken = null;
    refresh(true);
  } }, h("label", { for: "name-filter" }, label), input, h("button", { type: "submit" }, "Filter"));
}

const views = {
  async images() {
    if (!state.scope) return { moving: false, nodes: [h("h1", {}, "Images"), h("p", { className: "empty-state" }, "This server holds nothing yet. Create an image with your SDK and it appears here.")] };
    const page = await api("images", { ...scopeParams(), nextToken: state.pageToken, nameContains: state.nameContains });
    const rows = page.images.map((image) => [
      h("a", { href: `#/image/${encodeURIComponent(image.ImageName)}` }, image.ImageName),
      badge(image.ImageStatus),
      image.DisplayName || "",
      image.Description || "",
      image.RoleArn ? h("code", { className: "role" }, image.RoleArn) : "",
      time(image.CreationTime),
      time(image.LastModifiedTime),
      tags(image.Tags),
      arn(image.ImageArn, "image ARN"),
    ]);
    return {
      moving: page.images.some((image) => isMoving(image.ImageStatus)),
      nodes: [
        h("div", { className: "title" }, h("h1", {}, "Images"), nameFilter("Filter images")),
        table(`Images in ${state.scope.account} / ${state.scope.region}, newest first`,
          ["Name", "Status", "Display name", "Description", "Role", "Created", "Modified", "Tags", "ARN"], rows),
        pager(page.nextToken),
      ],
    };
  },

  async image(name) {
    const page = await api("image", { ...scopeParams(), name, nextToken: state.pageToken });
    const image = page.image;
    const moving = isMoving(image.ImageStatus) || page.versions.some((v) => isMoving(v.ImageVersionStatus));
    const facts = [
      ["Status", badge(image.ImageStatus)],
      ["Display name", image.DisplayName || ""],
      ["Description", image.Description || ""],
      ["Role", image.RoleArn ? h("code", {}, image.RoleArn) : ""],
      ["Created", time(image.CreationTime)],
      ["Modified", time(image.LastModifiedTime)],
      ["Failure reason", image.FailureReason ? h("span", { className: "failure" }, image.FailureReason) : ""],
      ["Tags", tags(image.Tags)],
      ["ARN", arn(image.ImageArn, "image ARN")],
    ];
    const rows = page.versions.map((v) => [
      String(v.Version),
      badge(v.ImageVersionStatus),
      v.Aliases && v.Aliases.length ? h("ul", { className: "tags" }, v.Aliases.map((a) => h("li", {}, a))) : h("span", { className: "muted" }, "none"),
      v.BaseImage ? h("code", {}, v.BaseImage) : "",
      v.FailureReason ? h("span", { className: "failure" }, v.FailureReason) : "",
      time(v.CreationTime),
      tags(v.Tags),
      arn(v.ImageVersionArn, "version ARN"),
    ]);
    const release = moving
      ? h("button", { type: "button", className: "warn", onclick: () => releaseHeld(image.ImageName) }, "Release held transition…")
      : "";
    return {
      moving,
      nodes: [
        h("p", { className: "crumbs" }, h("a", { href: "#/images" }, "Images"), " / ", image.ImageName),
        h("div", { className: "title" }, h("h1", {}, image.ImageName), release),
        h("dl", { className: "facts" }, facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value === "" ? h("span", { className: "muted" }, "—") : value)])),
        table("Versions, newest first", ["Version", "Status", "Aliases", "Base image", "Failure reason", "Created", "Tags", "ARN"], rows),
        pager(page.nextToken),
      ],
    };
  },

  async "app-image-configs"() {
    if (!state.scope) return { moving: false, nodes: [h("h1", {}, "App image configs"), h("p", { className: "empty-state" }, "This server holds nothing yet.")] };
    const page = await api("app-image-configs", { ...scopeParams(), nextToken: state.pageToken, nameContains: state.nameContains });
    const rows = page.appImageConfigs.map((config) => {
      const [kind, settings] = [["KernelGateway", config.KernelGatewayImageConfig], ["JupyterLab", config.JupyterLabAppImageConfig], ["CodeEditor", config.CodeEditorAppImageConfig]]
        .find(([, value]) => value) || ["—", {}];
      const specs = (settings && settings.KernelSpecs) || [];
      const fs = (settings && settings.FileSystemConfig) || null;
      return [
        config.AppImageConfigName,
        kind,
        specs.length ? h("ul", { className: "plain" }, specs.map((s) => h("li", {}, h("code", {}, s.Name), s.DisplayName ? ` (${s.DisplayName})` : ""))) : h("span", { className: "muted" }, "none"),
        fs ? h("ul", { className: "plain" }, Object.entries(fs).map(([k, v]) => h("li", {}, `${k}: `, h("code", {}, String(v))))) : h("span", { className: "muted" }, "default"),
        time(config.CreationTime),
        tags(config.Tags),
        arn(config.AppImageConfigArn, "app image config ARN"),
      ];
    });
    return {
      moving: false,
      nodes: [
        h("div", { className: "title" }, h("h1", {}, "App image configs"), nameFilter("Filter configs")),
        table(`App image configs in ${state.scope.account} / ${state.scope.region}, newest first`,
          ["Name", "Kind", "Kernel specs", "File system", "Created", "Tags", "ARN"], rows),
        pager(page.nextToken),
      ],
    };
  },

  async requests() {
    const filter = state.requestFilter;
    const log = await api("requests", { operation: filter.operation, errorsOnly: filter.errorsOnly ? "true" : "" });
    const operations = h("select", { id: "operation-filter", onchange: (e) => { filter.operation = e.target.value; refresh(true); } },
      h("option", { value: "" }, "All operations"),
      [...new Set([...log.operations, filter.operation].filter(Boolean))].sort().map((op) => h("option", { value: op, selected: op === filter.operation }, op)));
    const errorsOnly = h("input", { type: "checkbox", id: "errors-only", checked: filter.errorsOnly, onchange: (e) => { filter.errorsOnly = e.target.checked; refresh(true); } });
    const rows = log.requests.map((r) => [
      time(r.time / 1000),
      r.operation || h("span", { className: "muted" }, "(none)"),
      r.accessKey ? h("code", {}, r.accessKey) : "—",
      r.account ? `${r.account} / ${r.region}` : "—",
      h("span", {},
        h("span", { className: `http ${r.status >= 500 ? "failed" : r.status >= 400 ? "refused" : "ok"}` }, String(r.status)),
        r.denied ? h("span", { className: "denied", title: "Refused by the key's policies" }, " denied") : ""),
      r.errorCode ? h("span", { className: "error-text" }, h("b", {}, r.errorCode), " ", r.errorMessage) : "",
      `${(r.latencyMicros / 1000).toFixed(1)} ms`,
      h("button", { type: "button", className: "link", "aria-label": `Show the bodies of request ${r.id}`, onclick: () => showRequest(r.id) }, "Bodies"),
    ]);
    return {
      moving: false,
      nodes: [
        h("div", { className: "title" }, h("h1", {}, "Requests"),
          h("div", { className: "filter" },
            h("label", { for: "operation-filter" }, "Operation"), operations,
            h("label", { className: "check" }, errorsOnly, "Errors only"))),
        log.enabled ? "" : h("p", { className: "notice warn" }, "The request log is off (--request-log-size 0)."),
        table("The most recent API requests of this process, newest first", ["Time", "Operation", "Key", "Account / region", "Status", "Error", "Latency", ""], rows),
        h("section", { id: "request-detail", "aria-live": "polite" }),
      ],
      after: () => state.selectedRequest && showRequest(state.selectedRequest),
    };
  },

  async controls() {
    const [delays, outcomes, faults] = await Promise.all([
      control("GET", "transition-delays"), control("GET", "outcomes"), control("GET", "faults"),
    ]);
    const operation = h("select", { id: "outcome-operation" }, TRANSITIONING_OPERATIONS.map((op) => h("option", { value: op }, op)));
    const imageName = h("input", { id: "outcome-image", placeholder: "any image" });
    const action = h("select", { id: "outcome-action" }, h("option", { value: "fail" }, "fail"), h("option", { value: "hold" }, "hold"));
    const reason = h("input", { id: "outcome-reason", placeholder: "e.g. The container image could not be pulled." });
    const form = h("form", { className: "grid", onsubmit: (event) => {
      event.preventDefault();
      const rule = { operation: operation.value, action: action.value, ...scopeParams() };
      if (imageName.value.trim()) rule.imageName = imageName.value.trim();
      if (action.value === "fail" && reason.value.trim()) rule.failureReason = reason.value.trim();
      const what = `${rule.operation} of ${rule.imageName || "any image"}`;
      act(`The next ${what} will ${rule.action === "fail" ? "fail" : "be held until released"}. Go on?`,
        () => control("POST", "outcomes", rule), `Added: the next ${what} will ${rule.action}.`);
    } },
    h("label", { for: "outcome-operation" }, "Operation"), operation,
    h("label", { for: "outcome-image" }, "Image name"), imageName,
    h("label", { for: "outcome-action" }, "Outcome"), action,
    h("label", { for: "outcome-reason" }, "Failure reason"), reason,
    h("span", {}), h("button", { type: "submit", className: "warn" }, "Force this outcome…"));
    const rules = outcomes.outcomes.map((rule) => [rule.operation, rule.imageName || "any", rule.action, rule.failureReason || "", String(rule.count), `${rule.account || "any"} / ${rule.region || "any"}`]);
    return {
      moving: false,
      nodes: [
        h("h1", {}, "Test controls"),
        h("p", { className: "muted" }, "These act on this server for every test using it. The API's own operations are not repeated here: use your SDK for those."),
        h("section", { className: "card" }, h("h2", {}, "Force an outcome"),
          h("p", {}, "The next matching call is accepted, then its transition ends in failure, or is held until released from the image's page."), form),
        h("section", { className: "card" },
          h("div", { className: "title" }, h("h2", {}, "Forced outcomes waiting"),
            h("button", { type: "button", className: "warn", disabled: rules.length === 0, onclick: () => act("Remove every forced outcome?", () => control("DELETE", "outcomes"), "Forced outcomes removed.") }, "Remove all…")),
          table("Rules, oldest first: each is used by the next matching call", ["Operation", "Image", "Outcome", "Failure reason", "Uses left", "Account / region"], rules)),
        h("section", { className: "card" },
          h("div", { className: "title" }, h("h2", {}, "Faults"),
            h("button", { type: "button", className: "warn", disabled: faults.length === 0, onclick: () => act("Remove every fault rule?", () => control("POST", "faults", []), "Fault rules removed.") }, "Remove all…")),
          faults.length ? h("pre", {}, JSON.stringify(faults, null, 2)) : h("p", { className: "muted" }, "No fault rules: every call is answered as it is.")),
        h("section", { className: "card" }, h("h2", {}, "Transition delays"),
          table("How long each operation's transitional status lasts", ["Operation", "Delay"], Object.entries(delays).map(([op, d]) => [op, d]))),
      ],
    };
  },
};

async function showRequest(id) {
  state.selectedRequest = id;
  const section = document.getElementById("request-detail");
  if (!section) return;
  try {
    const entry = await api(`requests/${id}`);
    const body = (b) => b ? [h("pre", {}, pretty(b.text)), b.truncated ? h("p", { className: "muted" }, "Cut at 4 KiB.") : ""] : h("p", { className: "muted" }, "No body.");
    section.replaceChildren(h("div", { className: "card" },
      h("h2", {}, `Request ${entry.id}: ${entry.operation || "(no operation)"} → ${entry.status}`),
      h("div", { className: "bodies" },
        h("div", {}, h("h3", {}, "Request body"), body(entry.requestBody)),
        h("div", {}, h("h3", {}, "Response body"), body(entry.responseBody)))));
  } catch (error) {
    section.replaceChildren(h("p", { className: "notice warn" }, error.message));
  }
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}

async function act(question, call, done) {
  if (!window.confirm(question)) return;
  try {
    await call();
    notify(done, "ok");
    await loadScopes();
    refresh(true);
  } catch (error) {
    notify(error.message, "error");
  }
}

function releaseHeld(name) {
  act(`Release the held transitions of ${name}?`,
    () => control("POST", "outcomes/release", { imageName: name, ...scopeParams() }), `Released ${name}.`);
}

function route() {
  const [view, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const name = views[view] ? view : "images";
  return { name, argument: rest.length ? decodeURIComponent(rest.join("/")) : undefined };
}

async function refresh(force) {
  const { name, argument } = route();
  const viewName = name === "image" && argument === undefined ? "images" : name;
  try {
    const { moving, nodes, after } = await views[viewName](argument);
    state.moving = moving;
    state.lastRead = Date.now();
    const main = document.getElementById("main");
    const holder = h("div", {}, nodes);
    // Redraw only what changed, so that focus and selection stay where they were between polls.
    if (force || holder.innerHTML !== state.shown) {
      state.shown = holder.innerHTML;
      const focused = document.activeElement && document.activeElement.id;
      main.replaceChildren(...holder.childNodes);
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      if (after) after();
    }
  } catch (error) {
    state.moving = false;
    if (error instanceof Refused && error.status === 403) return denied(error.message);
    notify(error.message, "error");
  }
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.view === viewName || (viewName === "image" && link.dataset.view === "images");
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

function denied(message) {
  document.body.classList.add("locked");
  document.getElementById("main").replaceChildren(h("section", { className: "card signin" },
    h("h1", {}, "Sign in to the console"),
    h("p", {}, message),
    h("p", {}, "On a machine with an administrator's key, run:"),
    h("pre", {}, `sagemaker-images console-link --endpoint ${location.origin}`),
    h("p", {}, "and open the link it prints (once, within two minutes).")));
}

async function loadScopes() {
  const answer = await api("scopes");
  state.scopes = answer.scopes;
  const key = (s) => `${s.account} / ${s.region}`;
  if (state.scope && !state.scopes.some((s) => key(s) === key(state.scope))) state.scope = null;
  if (!state.scope && state.scopes.length) state.scope = state.scopes[0];
  const select = document.getElementById("scope");
  select.replaceChildren(...(state.scopes.length ? state.scopes : [{ account: answer.account, region: "us-east-1" }])
    .map((s) => h("option", { value: key(s), selected: state.scope && key(s) === key(state.scope) }, key(s))));
}

function poll() {
  const wait = state.moving ? FAST_POLL_MS : SLOW_POLL_MS;
  if (!document.hidden && Date.now() - state.lastRead >= wait && !document.body.classList.contains("locked")) {
    const { name } = route();
    const reads = name === "images" || name === "app-image-configs" ? loadScopes().then(() => refresh(false)) : refresh(false);
    reads.catch((error) => notify(error.message, "error"));
  }
}

async function start() {
  try {
    const session = await api("session");
    state.csrfToken = session.csrfToken;
    await loadScopes();
  } catch (error) {
    if (error instanceof Refused && error.status === 403) return denied(error.message);
    return notify(error.message, "error");
  }
  document.getElementById("scope").addEventListener("change", (event) => {
    state.scope = state.scopes.find((s) => `${s.account} / ${s.region}` === event.target.value) || null;
    state.pages = [];
    state.pageToken = null;
    refresh(true);
  });
  document.getElementById("reset").addEventListener("click", () =>
    act("Reset removes every image, version, app image config, tag, forced outcome and fault of this server, in every account and region. Go on?",
      () => control("POST", "reset"), "The server was reset."));
  window.addEventListener("hashchange", () => {
    state.pages = [];
    state.pageToken = null;
    state.nameContains = "";
    state.selectedRequest = null;
    notify("");
    refresh(true);
  });
  await refresh(true);
  setInterval(poll, 250);
}

document.addEventListener("DOMContentLoaded", start);

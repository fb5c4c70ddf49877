// The developer portal's page script. It talks only to the portal's backend on this origin
// (/portal/...), which keeps the session's tokens: the page holds a CSRF token and, for as long as
// the page lives, the consumer secrets it was just shown. Nothing goes to localStorage,
// sessionStorage or cookies from here; every text reaches the page through textContent.
"use strict";

(() => {
  // The API's root: "" on make run, "/<stage>" on AWS (the page is {root}/portal).
  const root = location.pathname.replace(/\/portal\/?$/, "");
  const apiBase = location.origin + root;
  const state = {
    session: null,
    apps: [],
    secrets: new Map(),
    tokenApp: null,
    catalogue: [], // the APIs one may subscribe to, with their tiers
    subscriptions: new Map(), // application id → its subscriptions
    usage: new Map(), // application id → its calls per API per day
  };

  const $ = (id) => document.getElementById(id);
  const SCREENS = ["welcome", "apps", "keys", "token"];

  class PortalError extends Error {
    constructor(status, body) {
      super((body && (body.error_description || body.error)) || `The portal answered ${status}`);
      this.status = status;
      this.code = body && body.error;
    }
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      // Before sign-in there is no session: any value will do, it is the header that counts.
      headers["X-CSRF-Token"] = (state.session && state.session.csrf_token) || "sign-in";
    }
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${root}/portal${path}`, init);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new PortalError(response.status, data);
    return data;
  }

  // -- messages and screens ---------------------------------------------------------------------

  function say(text) {
    $("problem").hidden = true;
    $("status").textContent = text;
  }

  function complain(error) {
    if (error && error.code === "login_required") {
      signedOut("Your session has ended: sign in again.");
      return;
    }
    $("status").textContent = "";
    $("problem").textContent = error && error.message ? error.message : String(error);
    $("problem").hidden = false;
  }

  function show(screen, focus) {
    for (const name of SCREENS) $(name).hidden = name !== screen;
    const target = $(focus || `${screen}-title`);
    if (target) target.focus();
  }

  // Run a form's or a button's action with its controls disabled meanwhile.
  async function busy(control, action) {
    const controls = control.tagName === "FORM" ? control.querySelectorAll("button") : [control];
    controls.forEach((element) => { element.disabled = true; });
    try {
      await action();
    } catch (error) {
      complain(error);
    } finally {
      controls.forEach((element) => { element.disabled = false; });
    }
  }

  function element(tag, attributes = {}, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function checkboxes(fieldset, prefix, names, checked) {
    fieldset.querySelectorAll(".choice, .hint").forEach((node) => node.remove());
    if (names.length === 0) {
      fieldset.append(element("p", { class: "hint" }, "None."));
      return;
    }
    names.forEach((name, index) => {
      const id = `${prefix}-${index}`;
      const box = element("input", { type: "checkbox", id, value: name });
      box.checked = checked;
      const wrapper = element("span", { class: "choice" });
      wrapper.append(box, element("label", { for: id }, name));
      fieldset.append(wrapper);
    });
  }

  const chosen = (fieldset) =>
    Array.from(fieldset.querySelectorAll("input[type=checkbox]:checked"), (box) => box.value).join(" ");

  // -- session ----------------------------------------------------------------------------------

  function signedOut(message) {
    state.session = null;
    state.apps = [];
    state.catalogue = [];
    state.subscriptions.clear();
    state.usage.clear();
    state.secrets.clear();
    $("who").hidden = true;
    show("welcome");
    if (message) say(message);
  }

  async function signedIn(session) {
    state.session = session;
    $("who-name").textContent = session.username;
    $("who").hidden = false;
    checkboxes($("create-scopes"), "create-scope", session.scopes, false);
    await refresh();
    await loadMfa();
    show("apps");
  }

  // -- two-step verification (TOTP) ---------------------------------------------------------------

  function showMfa(on) {
    $("mfa-state").textContent = on
      ? "Two-step verification is on: signing in asks for a code from your authenticator app."
      : "Two-step verification is off: signing in asks for your password only.";
    $("mfa-enable").hidden = on;
    $("mfa-disable-form").hidden = !on;
    $("mfa-enrol").hidden = true;
  }

  async function loadMfa() {
    const status = await call("GET", "/mfa");
    showMfa(status.totp);
  }

  async function startEnrolment() {
    const enrolment = await call("POST", "/mfa/enrol");
    $("mfa-qr").src = enrolment.qr_code;
    $("mfa-secret").textContent = enrolment.secret;
    $("mfa-enable").hidden = true;
    $("mfa-enrol").hidden = false;
    $("mfa-confirm-code").focus();
  }

  async function confirmEnrolment(form) {
    const confirmed = await call("POST", "/mfa/confirm", { code: $("mfa-confirm-code").value });
    form.reset();
    showMfa(true);
    $("mfa-recovery-codes").replaceChildren(...confirmed.recovery_codes.map((code) => element("li", {}, code)));
    $("mfa-recovery").hidden = false;
    say("Two-step verification is on.");
  }

  async function disableMfa(form) {
    await call("POST", "/mfa/disable", { code: $("mfa-disable-code").value });
    form.reset();
    showMfa(false);
    say("Two-step verification is off.");
  }

  async function start() {
    const session = await call("GET", "/session");
    $("signup-form").hidden = !session.signup_enabled;
    if (session.signed_in) await signedIn(session);
    else signedOut(new URLSearchParams(location.search).get("signin") === "failed"
      ? "The sign-in did not complete: sign in again." : undefined);
  }

  // -- applications -----------------------------------------------------------------------------

  async function refresh() {
    const permitted = state.session.may_manage_applications;
    $("no-permission").hidden = permitted;
    $("create-form").hidden = !permitted;
    $("catalogue").hidden = !permitted;
    if (!permitted) {
      state.apps = [];
      $("apps-count").textContent = "";
      $("apps-list").replaceChildren();
      return;
    }
    const listing = await call("GET", "/applications");
    state.apps = listing.applications;
    $("apps-count").textContent = `${listing.applications.length} of ${listing.limit} applications.`;
    let failure = null;
    try {
      await loadStore();
    } catch (error) {
      failure = error; // the applications are shown all the same
    }
    $("apps-list").replaceChildren(...listing.applications.map(card));
    renderCatalogue();
    if (failure) complain(failure);
  }

  function card(app) {
    const article = element("article", { class: "card app", "aria-labelledby": `app-${app.id}` });
    article.append(element("h3", { id: `app-${app.id}`, tabindex: "-1" }, app.name));
    article.append(element("p", { class: "meta" }, `Scopes: ${app.scope || "none"}`));
    if (app.redirect_uris.length) {
      article.append(element("p", { class: "meta" }, `Redirect URIs: ${app.redirect_uris.join(" ")}`));
    }
    article.append(element("p", { class: "meta" }, `Registered users: ${app.registered_users}`));
    const table = element("table");
    const head = element("thead");
    const headRow = element("tr");
    ["Keys", "Consumer key", "Action"].forEach((name) => headRow.append(element("th", { scope: "col" }, name)));
    head.append(headRow);
    const body = element("tbody");
    for (const environment of ["production", "sandbox"]) {
      const keys = app.keys[environment];
      const label = environment === "production" ? "Production" : "Sandbox";
      const row = element("tr");
      row.append(element("th", { scope: "row" }, label));
      const keyCell = element("td", { "data-label": "Consumer key" });
      keyCell.append(keys ? element("code", {}, keys.client_id) : document.createTextNode("No keys yet"));
      const action = element("td", { "data-label": "Action" });
      const button = element(
        "button",
        { type: "button", class: "secondary", "aria-label": `${keys ? "Regenerate" : "Generate"} ${environment} keys for ${app.name}` },
        keys ? "Regenerate keys" : "Generate keys",
      );
      button.addEventListener("click", () => busy(button, () => generateKeys(app, environment)));
      action.append(button);
      row.append(keyCell, action);
      body.append(row);
    }
    table.append(head, body);
    article.append(table);
    const tokenButton = element("button", { type: "button", "aria-label": `Generate access token for ${app.name}` }, "Generate access token");
    tokenButton.disabled = !app.keys.production && !app.keys.sandbox;
    tokenButton.addEventListener("click", () => openToken(app));
    const deleteButton = element("button", { type: "button", class: "danger", "aria-label": `Delete ${app.name}` }, "Delete");
    deleteButton.addEventListener("click", () => busy(deleteButton, () => removeApp(app)));
    article.append(tokenButton, deleteButton);
    article.append(...subscriptionsBlock(app), ...usageBlock(app));
    return article;
  }

  async function createApp(form) {
    const name = $("create-name").value.trim();
    const request = { name, scope: chosen($("create-scopes")) };
    const uris = $("create-redirects").value.trim();
    if (uris) request.redirect_uris = uris;
    const app = await call("POST", "/applications", request);
    form.reset();
    await refresh();
    show("apps", `app-${app.id}`);
    say(`Application ${app.name} created. Generate its keys to use it.`);
  }

  // What deleting does, as it is true on this stack: JWT access tokens are checked without the
  // database (unless the stack's JwtRevocationCheck is on), so they stay valid until they expire.
  function deleteQuestion(app) {
    const tokens = state.session && state.session.access_tokens_outlive_deletion
      ? "its refresh tokens are revoked; access tokens already issued stay valid until they expire" +
        ` (at most ${Math.ceil(state.session.access_token_seconds / 60)} minutes)`
      : "its tokens are revoked";
    return `Delete ${app.name}? Its keys stop working at once; ${tokens}.`;
  }

  async function removeApp(app) {
    if (!window.confirm(deleteQuestion(app))) return;
    const result = await call("DELETE", `/applications/${encodeURIComponent(app.id)}`);
    await refresh();
    show("apps");
    say(`Application ${app.name} deleted (${result.revoked_tokens} tokens revoked).`);
  }

  async function generateKeys(app, environment) {
    const keys = await call("POST", `/applications/${encodeURIComponent(app.id)}/keys`, { environment });
    state.secrets.set(keys.client_id, keys.client_secret);
    await refresh();
    state.tokenApp = state.apps.find((candidate) => candidate.id === app.id) || app;
    $("keys-app").textContent = app.name;
    $("keys-env").textContent = environment === "production" ? "Production" : "Sandbox";
    $("keys-id").textContent = keys.client_id;
    $("keys-secret").textContent = keys.client_secret;
    $("keys-token").dataset.environment = environment;
    show("keys");
    say("Keys generated. The consumer secret is shown only now.");
  }

  // -- the store: the catalogue, subscriptions, usage ---------------------------------------------

  const appPath = (app, suffix) => `/applications/${encodeURIComponent(app.id)}${suffix}`;

  async function loadStore() {
    const [catalogue, details] = await Promise.all([
      call("GET", "/apis"),
      Promise.all(state.apps.map((app) => Promise.all([
        call("GET", appPath(app, "/subscriptions")),
        call("GET", appPath(app, "/usage")),
      ]))),
    ]);
    state.catalogue = catalogue.apis;
    state.subscriptions.clear();
    state.usage.clear();
    state.apps.forEach((app, index) => {
      state.subscriptions.set(app.id, details[index][0].subscriptions);
      state.usage.set(app.id, details[index][1]);
    });
  }

  const plural = (count, one, many) => `${count.toLocaleString("en")} ${count === 1 ? one : many}`;

  // A tier's numbers in words: "15 requests per second, bursts of 30, 1,000 calls a day".
  function tierNumbers(tier) {
    const parts = tier.rate === null || tier.rate === undefined
      ? ["no limit of its own"]
      : [`${plural(tier.rate, "request", "requests")} per second`, `bursts of ${tier.burst}`];
    if (tier.quota) parts.push(`${plural(tier.quota, "call", "calls")} a ${String(tier.quota_period).toLowerCase()}`);
    return parts.join(", ");
  }

  function sinceText(created) {
    if (typeof created === "number") return new Date(created * 1000).toLocaleDateString();
    return created ? String(created) : "";
  }

  function tiersTable(api) {
    const table = element("table", { class: "tiers" });
    table.append(element("caption", {}, `Tiers offered for ${api.name}`));
    const headRow = element("tr");
    ["Tier", "Requests per second", "Burst", "Quota"].forEach((name) => headRow.append(element("th", { scope: "col" }, name)));
    const head = element("thead");
    head.append(headRow);
    const body = element("tbody");
    for (const tier of api.tiers) {
      const row = element("tr");
      const name = element("th", { scope: "row" }, tier.name);
      if (tier.description) name.append(element("span", { class: "hint block" }, tier.description));
      const quota = tier.quota ? `${tier.quota.toLocaleString("en")} a ${String(tier.quota_period).toLowerCase()}` : "None";
      row.append(
        name,
        element("td", { "data-label": "Requests per second" }, tier.rate === null ? "No limit" : String(tier.rate)),
        element("td", { "data-label": "Burst" }, tier.burst === null ? "No limit" : String(tier.burst)),
        element("td", { "data-label": "Quota" }, quota),
      );
      body.append(row);
    }
    table.append(head, body);
    return table;
  }

  function choice(id, label, placeholder, options) {
    const select = element("select", { id, required: "" });
    select.append(element("option", { value: "" }, placeholder));
    for (const [value, text] of options) select.append(element("option", { value }, text));
    return [element("label", { for: id }, label), select];
  }

  function subscribedTo(api) {
    return state.apps.flatMap((app) => (state.subscriptions.get(app.id) || [])
      .filter((subscription) => subscription.api === api.id)
      .map((subscription) => `${app.name} (${subscription.tier})`));
  }

  function apiCard(api, index) {
    const article = element("article", { class: "card api", "data-api": api.id, "aria-labelledby": `api-${index}` });
    article.append(element("h3", { id: `api-${index}` }, api.name));
    if (api.description) article.append(element("p", {}, api.description));
    article.append(element("p", { class: "meta" }, api.subscriptions === "required"
      ? "Subscriptions: required (only subscribed applications' tokens may call it)"
      : "Subscriptions: not required (a subscription sets the application's tier)"));
    const mine = subscribedTo(api);
    article.append(element("p", { class: "meta" }, `Subscribed: ${mine.length ? mine.join(", ") : "none of your applications"}`));
    article.append(tiersTable(api));
    const form = element("form", { class: "subscribe", "aria-label": `Subscribe to ${api.name}` });
    form.append(
      ...choice(`subscribe-app-${index}`, "Application", "Choose an application", state.apps.map((app) => [app.id, app.name])),
      ...choice(`subscribe-tier-${index}`, "Tier", "Choose a tier", api.tiers.map((tier) => [tier.name, `${tier.name}: ${tierNumbers(tier)}`])),
    );
    const button = element("button", { type: "submit", "aria-label": `Subscribe to ${api.name}` }, "Subscribe");
    button.disabled = state.apps.length === 0;
    form.append(button);
    if (state.apps.length === 0) form.append(element("p", { class: "hint" }, "Create an application first."));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, () => subscribe(api, $(`subscribe-app-${index}`).value, $(`subscribe-tier-${index}`).value));
    });
    article.append(form);
    return article;
  }

  function renderCatalogue() {
    $("catalogue-empty").hidden = state.catalogue.length > 0;
    $("catalogue-list").replaceChildren(...state.catalogue.map(apiCard));
  }

  async function subscribe(api, appId, tier) {
    const app = state.apps.find((candidate) => candidate.id === appId);
    if (!app || !tier) throw new Error("Choose an application and a tier.");
    await call("POST", appPath(app, "/subscriptions"), { api: api.id, tier });
    await refresh();
    show("apps", `subscriptions-${app.id}`);
    say(`${app.name} is subscribed to ${api.name} with the ${tier} tier.`);
  }

  async function unsubscribe(app, subscription) {
    await call("DELETE", appPath(app, `/subscriptions/${encodeURIComponent(subscription.api)}`));
    await refresh();
    show("apps", `subscriptions-${app.id}`);
    say(`${app.name} is no longer subscribed to ${subscription.api_name || subscription.api}.`);
  }

  function subscriptionsBlock(app) {
    const title = element("h4", { id: `subscriptions-${app.id}`, tabindex: "-1" }, "Subscriptions");
    const subscriptions = state.subscriptions.get(app.id) || [];
    if (subscriptions.length === 0) {
      return [title, element("p", { class: "meta" }, "Not subscribed to any API: subscribe it in the API catalogue.")];
    }
    const table = element("table", { class: "subscriptions" });
    table.append(element("caption", { class: "visually-hidden" }, `Subscriptions of ${app.name}`));
    const headRow = element("tr");
    ["API", "Tier", "Since", "Action"].forEach((name) => headRow.append(element("th", { scope: "col" }, name)));
    const head = element("thead");
    head.append(headRow);
    const body = element("tbody");
    for (const subscription of subscriptions) {
      const name = subscription.api_name || subscription.api;
      const row = element("tr");
      const action = element("td", { "data-label": "Action" });
      const button = element("button", { type: "button", class: "secondary", "aria-label": `Unsubscribe ${app.name} from ${name}` }, "Unsubscribe");
      button.addEventListener("click", () => busy(button, () => unsubscribe(app, subscription)));
      action.append(button);
      row.append(
        element("th", { scope: "row" }, name),
        element("td", { "data-label": "Tier" }, subscription.tier),
        element("td", { "data-label": "Since" }, sinceText(subscription.created_at)),
        action,
      );
      body.append(row);
    }
    table.append(head, body);
    return [title, table];
  }

  // -- the usage chart: calls per day, stacked by API, drawn here as SVG (no library) ------------

  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = 6; // colours (app.css: .series-0 ... .series-5)

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function daysBetween(from, to) {
    const days = [];
    const end = Date.parse(`${to}T00:00:00Z`);
    for (let day = Date.parse(`${from}T00:00:00Z`); day <= end && days.length < 366; day += 86400000) {
      days.push(new Date(day).toISOString().slice(0, 10));
    }
    return days;
  }

  // The top of the scale and its step: 1, 2 or 5 times a power of ten, at most five steps.
  function scale(highest) {
    let step = 1;
    while (highest / step > 5) {
      const digits = String(step)[0];
      step = digits === "1" ? step * 2 : digits === "2" ? step * 2.5 : step * 2;
    }
    return { top: Math.max(step, Math.ceil(highest / step) * step), step };
  }

  const shortDate = (date) =>
    new Date(`${date}T00:00:00Z`).toLocaleDateString("en", { day: "numeric", month: "short", timeZone: "UTC" });

  // Each API's calls per day, on every day from `from` to `to` (the answer lists only days with calls).
  function usageSeries(usage) {
    const days = daysBetween(usage.from, usage.to);
    const series = usage.apis.map((api, index) => {
      const calls = new Map(api.days.map((day) => [day.date, day.calls]));
      return { name: api.name || api.api, tier: api.tier, total: api.total, index, calls: days.map((date) => calls.get(date) || 0) };
    });
    const totals = days.map((_, day) => series.reduce((sum, one) => sum + one.calls[day], 0));
    return { days, series, totals };
  }

  function chartSummary(app, usage, data) {
    const head = `Calls per day to the APIs by ${app.name}, ${usage.from} to ${usage.to}: ${plural(usage.total, "call", "calls")} in total`;
    if (usage.total === 0) return `${head}.`;
    const busiest = data.totals.indexOf(Math.max(...data.totals));
    const apis = data.series.map((one) => `${one.name}: ${one.total}`).join("; ");
    return `${head}; ${apis}. The busiest day was ${data.days[busiest]}, with ${plural(data.totals[busiest], "call", "calls")}.`;
  }

  function usageChart(app, usage, data) {
    const [width, height, left, right, top, bottom] = [600, 260, 56, 8, 14, 44];
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const { top: highest, step } = scale(Math.max(0, ...data.totals));
    const chart = svg("svg", {
      class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": chartSummary(app, usage, data),
    });
    const y = (calls) => top + plotHeight - (calls / highest) * plotHeight;
    for (let tick = 0; tick <= highest; tick += step) {
      chart.append(svg("line", { class: "grid", x1: left, x2: width - right, y1: y(tick), y2: y(tick) }));
      chart.append(svg("text", { class: "tick", x: left - 8, y: y(tick) + 6, "text-anchor": "end" }, tick.toLocaleString("en")));
    }
    const slot = plotWidth / Math.max(1, data.days.length);
    data.days.forEach((date, day) => {
      let base = 0;
      for (const one of data.series) {
        const calls = one.calls[day];
        if (!calls) continue;
        const bar = svg("rect", {
          class: `bar series-${one.index % SERIES}`, x: left + day * slot + slot * 0.15, width: slot * 0.7,
          y: y(base + calls), height: y(base) - y(base + calls),
        });
        bar.append(svg("title", {}, `${date}, ${one.name}: ${plural(calls, "call", "calls")}`));
        chart.append(bar);
        base += calls;
      }
      if ((data.days.length - 1 - day) % 7 === 0) {
        const last = day === data.days.length - 1;
        chart.append(svg("text", {
          class: "tick", x: last ? width - right : left + (day + 0.5) * slot, y: height - bottom + 26,
          "text-anchor": last ? "end" : "middle",
        }, shortDate(date)));
      }
    });
    chart.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: y(0), y2: y(0) }));
    return chart;
  }

  function legend(data) {
    const list = element("ul", { class: "legend" });
    for (const one of data.series) {
      const item = element("li");
      item.append(element("span", { class: `swatch series-${one.index % SERIES}`, "aria-hidden": "true" }));
      item.append(document.createTextNode(`${one.name}${one.tier ? ` (${one.tier})` : ""}: ${plural(one.total, "call", "calls")}`));
      list.append(item);
    }
    return list;
  }

  function usageTable(app, usage, data) {
    const table = element("table", { class: "usage-table" });
    table.append(element("caption", {}, `Calls per day by ${app.name}, ${usage.from} to ${usage.to} (days without calls left out)`));
    const headRow = element("tr");
    ["Date", ...data.series.map((one) => one.name), "Total"].forEach((name) => headRow.append(element("th", { scope: "col" }, name)));
    const head = element("thead");
    head.append(headRow);
    const body = element("tbody");
    data.days.forEach((date, day) => {
      if (!data.totals[day]) return;
      const row = element("tr");
      row.append(element("th", { scope: "row" }, date));
      data.series.forEach((one) => row.append(element("td", { "data-label": one.name }, String(one.calls[day]))));
      row.append(element("td", { "data-label": "Total" }, String(data.totals[day])));
      body.append(row);
    });
    if (!body.childElementCount) {
      const row = element("tr");
      row.append(element("td", { colspan: String(data.series.length + 2) }, "No calls in these days."));
      body.append(row);
    }
    const foot = element("tfoot");
    const totalRow = element("tr");
    totalRow.append(element("th", { scope: "row" }, "Total"));
    data.series.forEach((one) => totalRow.append(element("td", { "data-label": one.name }, String(one.total))));
    totalRow.append(element("td", { "data-label": "Total" }, String(usage.total)));
    foot.append(totalRow);
    table.append(head, body, foot);
    return table;
  }

  function usageBlock(app) {
    const usage = state.usage.get(app.id);
    const title = element("h4", { id: `usage-${app.id}` }, "Usage, the last 30 days");
    if (!usage) return [title, element("p", { class: "meta" }, "No usage to show.")];
    const data = usageSeries(usage);
    const figure = element("div", { class: "usage", "data-usage": app.id });
    const drawing = element("div", { class: "usage-chart" });
    drawing.append(usageChart(app, usage, data), legend(data));
    const numbers = element("div", { class: "usage-numbers" });
    numbers.append(usageTable(app, usage, data));
    figure.append(drawing, numbers);
    return [title, figure];
  }

  // -- access tokens ----------------------------------------------------------------------------

  function selectedEnvironment() {
    return $("token-env-sandbox").checked ? "sandbox" : "production";
  }

  function fillSecret() {
    const keys = state.tokenApp && state.tokenApp.keys[selectedEnvironment()];
    $("token-secret").value = (keys && state.secrets.get(keys.client_id)) || "";
  }

  function openToken(app, environment) {
    state.tokenApp = app;
    $("token-app").textContent = app.name;
    const preferred = environment || (app.keys.production ? "production" : "sandbox");
    $(`token-env-${preferred}`).checked = true;
    $("token-env-production").disabled = !app.keys.production;
    $("token-env-sandbox").disabled = !app.keys.sandbox;
    checkboxes($("token-scopes"), "token-scope", app.scope ? app.scope.split(" ") : [], true);
    $("token-password").value = "";
    $("token-result").hidden = true;
    fillSecret();
    show("token");
    say("");
  }

  function togglePassword() {
    $("token-password-row").hidden = !$("token-grant-password").checked;
  }

  async function generateToken() {
    const grantType = $("token-grant-password").checked ? "password" : "client_credentials";
    const request = {
      environment: selectedEnvironment(),
      grant_type: grantType,
      client_secret: $("token-secret").value,
      scope: chosen($("token-scopes")),
    };
    if (grantType === "password") request.password = $("token-password").value;
    $("token-result").hidden = true;
    const tokens = await call("POST", `/applications/${encodeURIComponent(state.tokenApp.id)}/token`, request);
    $("token-password").value = "";
    $("token-value").textContent = tokens.access_token;
    $("token-scope").textContent = tokens.scope;
    const expires = new Date(Date.now() + tokens.expires_in * 1000);
    $("token-expiry").textContent = `${tokens.expires_in} seconds (at ${expires.toLocaleTimeString()})`;
    const refresh = tokens.refresh_token || "";
    $("token-refresh").textContent = refresh;
    $("token-refresh-label").hidden = !refresh;
    $("token-refresh-row").hidden = !refresh;
    const bearer = `-H "Authorization: Bearer ${tokens.access_token}"`;
    $("token-curl").textContent = `curl ${bearer} ${apiBase}/orders\ncurl ${bearer} ${apiBase}/whoami`;
    $("token-result").hidden = false;
    $("token-result-title").focus();
    say(`Access token issued with scope ${tokens.scope}.`);
  }

  // -- copying ----------------------------------------------------------------------------------

  async function copy(button) {
    const text = $(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      say("Copied to the clipboard.");
    } catch {
      const range = document.createRange();
      range.selectNodeContents($(button.dataset.copy));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      say("Selected: press Ctrl+C (or ⌘C) to copy.");
    }
  }

  // -- wiring -----------------------------------------------------------------------------------

  function onSubmit(id, action) {
    $(id).addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.currentTarget, () => action(event.currentTarget));
    });
  }

  onSubmit("signup-form", async (form) => {
    const created = await call("POST", "/signup", {
      username: $("signup-username").value,
      password: $("signup-password").value,
    });
    form.reset();
    say(`Account ${created.username} created: taking you to the sign-in page.`);
    location.assign(`${root}/portal/login?login_hint=${encodeURIComponent(created.username)}`);
  });

  onSubmit("create-form", createApp);
  onSubmit("mfa-confirm-form", confirmEnrolment);
  onSubmit("mfa-disable-form", disableMfa);
  $("mfa-enable").addEventListener("click", (event) => busy(event.currentTarget, startEnrolment));
  $("mfa-recovery-done").addEventListener("click", () => {
    $("mfa-recovery-codes").replaceChildren();
    $("mfa-recovery").hidden = true;
  });
  onSubmit("token-form", generateToken);

  $("signout").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      await call("POST", "/signout");
      signedOut("Signed out.");
    }),
  );
  $("keys-done").addEventListener("click", () => show("apps"));
  $("keys-token").addEventListener("click", (event) => openToken(state.tokenApp, event.currentTarget.dataset.environment));
  $("token-back").addEventListener("click", () => busy($("token-back"), async () => {
    await refresh();
    show("apps");
  }));
  $("token-env-production").addEventListener("change", fillSecret);
  $("token-env-sandbox").addEventListener("change", fillSecret);
  $("token-grant-cc").addEventListener("change", togglePassword);
  $("token-grant-password").addEventListener("change", togglePassword);
  document.querySelectorAll("button.copy").forEach((button) => button.addEventListener("click", () => copy(button)));

  start().catch(complain);
})();

// The developer portal's page script. It talks only to the portal's backend on this origin
// (/portal/...), which keeps the session's tokens: the page holds a CSRF token and, for as long as
// the page lives, the consumer secrets it was just shown. Nothing goes to localStorage,
// sessionStorage or cookies from here; every text reaches the page through textContent.
"use strict";

(() => {
  // The API's root: "" on make run, "/<stage>" on AWS (the page is {root}/portal).
  const root = location.pathname.replace(/\/portal\/?$/, "");
  const apiBase = location.origin + root;
  const state = { session: null, apps: [], secrets: new Map(), tokenApp: null };

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
    if (!permitted) {
      state.apps = [];
      $("apps-count").textContent = "";
      $("apps-list").replaceChildren();
      return;
    }
    const listing = await call("GET", "/applications");
    state.apps = listing.applications;
    $("apps-count").textContent = `${listing.applications.length} of ${listing.limit} applications.`;
    $("apps-list").replaceChildren(...listing.applications.map(card));
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

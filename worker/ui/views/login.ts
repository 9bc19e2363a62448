import { html } from "hono/html";
import { page, type Html } from "../layout.ts";

/** The login form: the master key, once; the session cookie carries the rest. */
export function loginPage(error?: string): Html {
  return page({
    title: "Log in",
    body: html`<form method="post" action="/ui/login" class="login">
${error ? html`<p class="error" role="alert" id="login-error">${error}</p>` : ""}
<label for="master_key">Master key</label>
<input id="master_key" name="master_key" type="password" autocomplete="current-password" required autofocus${error ? html` aria-describedby="login-error" aria-invalid="true"` : ""}>
<button type="submit">Log in</button>
<p class="hint">The gateway's <code>MASTER_KEY</code>. It is checked once and never stored in the browser: you get a session for one hour.</p>
</form>`,
  });
}

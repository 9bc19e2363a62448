import { html } from "hono/html";

export type Html = ReturnType<typeof html>;

export const NAV = [
  { href: "/ui", label: "Spend" },
  { href: "/ui/keys", label: "Keys" },
  { href: "/ui/requests", label: "Requests" },
  { href: "/ui/origin", label: "Origin & video" },
] as const;

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current; none on the login page. */
  current?: string;
  /** Whether to offer "Log out" (a dashboard session; an Access service token has nothing to log out of). */
  session?: boolean;
  body: Html;
}

/**
 * The page shell: one stylesheet and one script, both served by the Worker from /ui/assets/ (the CSP allows
 * nothing else), a skip link and landmarks for keyboard and screen-reader users, and a viewport for phones.
 */
export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} · Breakwater</title>
<link rel="stylesheet" href="/ui/assets/app.css">
${o.current ? html`<script src="/ui/assets/app.js" defer></script>` : ""}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Breakwater</span>
${o.current
  ? html`<nav aria-label="Dashboard"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${n.href === o.current ? html` aria-current="page"` : ""}>${n.label}</a></li>`)}</ul></nav>`
  : ""}
${o.session ? html`<form method="post" action="/ui/logout" class="logout"><button type="submit">Log out</button></form>` : ""}
</header>
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>`;
}

/** What an empty view says: what is missing and what to do about it. */
export function emptyState(what: string, todo: Html | string): Html {
  return html`<div class="empty" role="status"><p><strong>${what}</strong></p><p>${todo}</p></div>`;
}

/**
 * The confirmation dialog the script opens for an action button (`button[data-action]`): it asks, calls the action's
 * endpoint and shows the outcome in place. One per page that has actions.
 */
export function confirmDialog(): Html {
  return html`<dialog id="confirm" aria-labelledby="confirm-title">
<form method="dialog">
<h2 id="confirm-title">Confirm</h2>
<p id="confirm-text"></p>
<p id="confirm-result" class="result" role="status" hidden></p>
<div class="buttons"><button value="cancel" id="confirm-cancel">Cancel</button> <button value="ok" id="confirm-ok" class="primary">Confirm</button></div>
</form>
</dialog>`;
}

/**
 * Sent with every answer: the app's pages, the API's JSON and socket.io's own HTTP answers alike.
 * The web app is built scripts and styles of its own origin only (Vite puts nothing inline), so the
 * policy allows no inline script and no other origin; React sets style through the DOM, which a policy does not restrict. `'unsafe-eval'`
 * because the forms' validator (ajv, core/forms/rjsf.ts) compiles each schema the server sends into a
 * function, as the server's does: the schemas are data that changes at run time (versions, tenants'
 * overlays), so they cannot be compiled ahead into the build. No page of the platform is meant to be
 * framed: `frame-ancestors`, and X-Frame-Options for browsers without it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Content-Security-Policy": [
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
};

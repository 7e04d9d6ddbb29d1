"""Scripts the browser tests put into pages."""

#: Collects every CSP violation the page reports (inline script, style, frame, form target …).
LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)

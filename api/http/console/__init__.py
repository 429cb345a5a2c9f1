"""The agency console at /console: a static page (HTML, CSS, plain ES modules, no build step)
that signs an operator in with a cookie and then talks only to the public /graphql API."""

"""Entry points: the Starlette app, the GraphQL schema, authentication and the CLI."""

"""The fast GraphQL execution path: the same answer as stock graphql-core, or hand over
before any resolver runs. Its paths, what it never compiles, the private library names it
relies on, how to upgrade those libraries and the switch that turns it off
(`LOYALTY_ENGINE=stock`): engine/README.md."""

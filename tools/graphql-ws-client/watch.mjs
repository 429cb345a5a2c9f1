// Subscribes once with graphql-ws, the reference graphql-transport-ws client, on the ws
// package, as an app would, and prints what the client reports, one JSON object a line:
//
//   {"event": "connected"}                        the server acknowledged connection_init
//   {"event": "next", "payload": {"data": ...}}   a message of the subscription
//   {"event": "error", "error": ...}              the subscription failed
//   {"event": "complete"}                         the server ended the subscription
//   {"event": "closed", "code": 4403, "reason": "..."}
//
//   node watch.mjs <ws url> <connectionParams as JSON> <subscription> <messages>
//
// Stops after <messages> `next` messages, or when the subscription ends. It never retries,
// so that a socket the server closed is reported with the code the server gave.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, params, query, messages] = process.argv.slice(2);
if (!url || !params || !query || !messages) {
  console.error("usage: node watch.mjs <ws url> <connectionParams JSON> <query> <messages>");
  process.exit(2);
}
const print = (event) => console.log(JSON.stringify(event));

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: JSON.parse(params),
  retryAttempts: 0,
  on: {
    connected: () => print({ event: "connected" }),
    closed: (event) => print({ event: "closed", code: event.code, reason: event.reason }),
  },
});

let left = Number(messages);
try {
  for await (const payload of client.iterate({ query })) {
    print({ event: "next", payload });
    if (--left === 0) break;
  }
  if (left > 0) print({ event: "complete" });
} catch (error) {
  // A close arrives as the CloseEvent itself, already printed by `closed`.
  const reported = error instanceof Error ? error.message : (error?.code ?? error);
  print({ event: "error", error: reported });
} finally {
  await client.dispose();
}

import { lookup } from "node:dns/promises"
import { isIP } from "node:net"
import { networkInterfaces } from "node:os"
import { Effect } from "effect"

/** The port the orchestrator listens on (the HTTP server's, else `PORT`). */
export interface Listener {
  readonly port: number
}

const unmapped = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1").toLowerCase()

const isThisHost = (address: string): boolean => {
  const a = unmapped(address)
  if (a.startsWith("127.") || a === "::1" || a === "0.0.0.0" || a === "::") return true
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((i) => unmapped(i.address) === a))
}

const defaultPort = (url: URL): number => url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80

/**
 * Whether `baseUrl` reaches this orchestrator's own listener: the same port on an address of this
 * host (loopback, the unspecified address, or one of its interfaces), the host name resolved
 * through DNS. A name that does not resolve is not this host. A proxy or a port mapping that
 * forwards to the orchestrator cannot be seen from here.
 */
export const pointsAtSelf = (baseUrl: string, listener: Listener): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const url = yield* Effect.try(() => new URL(baseUrl)).pipe(Effect.option)
    if (url._tag === "None" || defaultPort(url.value) !== listener.port) return false
    const host = url.value.hostname.replace(/^\[(.*)\]$/, "$1")
    const addresses = isIP(host) !== 0
      ? [host]
      : yield* Effect.promise(() =>
        lookup(host, { all: true }).then((found) => found.map((f) => f.address), () => [] as Array<string>)
      )
    return addresses.some(isThisHost)
  })

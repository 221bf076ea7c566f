import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Option } from "effect"
import { Registry } from "../store/Registry.js"
import * as Spans from "@pipeweave/domain/Spans"

const PROBE_TIMEOUT = Duration.seconds(2)

/**
 * Whether a service has a live instance: one of its registered instances answers `GET /health`
 * with a 200 naming that service, within 2 seconds. Asked only when a registration claims the
 * service's ids with `takeover: true`; registration times are not evidence (instances register
 * once, at start), an answer is.
 */
export class ServiceLiveness extends Effect.Service<ServiceLiveness>()("@pipeweave/orchestrator/ServiceLiveness", {
  effect: Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const registry = yield* Registry

    const answers = (baseUrl: string, serviceId: string) =>
      client.execute(HttpClientRequest.get(`${baseUrl.replace(/\/+$/, "")}/health`)).pipe(
        Effect.flatMap((response) => response.status === 200 ? response.json : Effect.succeed(null)),
        Effect.map((body) =>
          typeof body === "object" && body !== null && (body as { readonly serviceId?: unknown }).serviceId === serviceId
        ),
        Effect.scoped,
        Effect.timeoutTo({ duration: PROBE_TIMEOUT, onSuccess: (live) => live, onTimeout: () => false }),
        Effect.orElseSucceed(() => false)
      )

    /** The first instance of `serviceId` that answers as that service, if any. */
    const liveInstance = Spans.fn("ServiceLiveness.liveInstance")(function*(serviceId: string) {
      const urls = yield* registry.instances(serviceId)
      const live = yield* Effect.forEach(urls, (url) => answers(url, serviceId), { concurrency: "unbounded" })
      return Option.fromNullable(urls.find((_, i) => live[i]))
    })

    return { liveInstance } as const
  })
}) {}

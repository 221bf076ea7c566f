import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { CallbacksApi } from "./api/CallbacksApi.js"
import { DlqApi } from "./api/DlqApi.js"
import { HealthApi } from "./api/HealthApi.js"
import { MetricsApi } from "./api/MetricsApi.js"
import { openApiTransform } from "./api/OpenApiTransform.js"
import { PipelinesApi } from "./api/PipelinesApi.js"
import { ProcessApi } from "./api/ProcessApi.js"
import { QueueApi } from "./api/QueueApi.js"
import { ServicesApi } from "./api/ServicesApi.js"
import { StorageApi } from "./api/StorageApi.js"
import { WorkerApi } from "./api/WorkerApi.js"

/** The orchestrator's whole HTTP contract, shared by the orchestrator, SDK, CLI and site. */
export class OrchestratorApi extends HttpApi.make("pipeweave")
  .add(HealthApi)
  .add(WorkerApi)
  .add(CallbacksApi)
  .add(ServicesApi)
  .add(QueueApi)
  .add(PipelinesApi)
  .add(DlqApi)
  .add(StorageApi)
  .add(ProcessApi)
  .add(MetricsApi)
  .annotate(OpenApi.Title, "PipeWeave Orchestrator API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(OpenApi.Transform, openApiTransform) {}

import { Effect } from "effect"
import { newOrchestratorId } from "./Ids.js"

/** This process's id, recorded on the runs it claims. */
export class OrchestratorIdentity extends Effect.Service<OrchestratorIdentity>()(
  "@pipeweave/orchestrator/OrchestratorIdentity",
  { sync: () => ({ id: newOrchestratorId() }) }
) {}

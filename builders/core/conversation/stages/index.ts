// The built-in stages register themselves when imported.
import "./scenario.js";
import "./persona.js";
import "./flow-controller.js";
import "./user.js";
import "./assistant.js";
import "./assistant-tools.js";

export {
  type ConversationSummary,
  defaultSummary,
  registerFlowController,
  terminates,
} from "./flow-controller.js";
export {
  createStage,
  registerStage,
  type Stage,
  type StageContext,
  type StageDefinition,
  type StageExtras,
  stageNames,
} from "./stage.js";

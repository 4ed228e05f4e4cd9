// The RAG stages register themselves when imported.
import "./scenario.js";
import "./user.js";
import "./flow-controller.js";
import "./assistant-static.js";
import "./assistant-live.js";

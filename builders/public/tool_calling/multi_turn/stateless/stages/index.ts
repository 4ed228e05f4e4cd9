// The tool-calling stages register themselves when imported.
import "./scenario.js";
import "./planner.js";
import "./user.js";
import "./verifier.js";
import "./execute.js";
import "./summarize.js";
import "./filter.js";
import "./error-hint.js";

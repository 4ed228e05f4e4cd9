import { registerDataBuilder } from "digit-sdg";
import { DistEcho } from "../dist_echo/builder.js";

/** dist/echo under another name (a second builder on the same credential). */
@registerDataBuilder("dist/echo_b")
export class DistEchoB extends DistEcho {}

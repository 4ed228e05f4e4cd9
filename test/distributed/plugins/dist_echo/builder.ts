import {
  type Block,
  GenerationDataBuilder,
  type LMProvider,
  type Row,
  registerBlock,
  registerDataBuilder,
  reject,
  resultText,
  ValidatorBlock,
} from "digit-sdg";
import { z } from "zod";

/**
 * Test builder for distributed runs: one LLM request per batch row whose prompt names the request
 * index and the row, so the fake server's answers (a function of the prompt) are the same whichever
 * worker sends them; a validator inside the call rejects row 7, so rejects travel back from workers.
 */
@registerDataBuilder("dist/echo")
export class DistEcho extends GenerationDataBuilder {
  static override blockNames = ["generator", "check"];
  static override outputFields = ["text"];
  static override taskSchema = z.object({ fail_on_batch: z.number().optional() });

  async call(requestIdx: number, batch: Row[]): Promise<Row[]> {
    for (const t of this.tasks)
      if (t.spec.fail_on_batch === requestIdx)
        throw new Error(`builder failure on batch ${requestIdx}`);
    const requests = batch.map((r, i) => ({
      input: `req ${requestIdx} row ${i} of ${String(r.task_name)}: ${String(r.text ?? "")}`,
      task_name: r.task_name,
    }));
    const answered = await this.block<LMProvider>("generator").call(requests);
    const rows = answered
      .filter((r) => r.error == null)
      .map((r) => ({ task_name: r.task_name, text: resultText(r.result) }));
    return this.block<Block>("check").call(rows);
  }
}

/** Rejects answers to row 7 of a batch. */
@registerBlock("dist/not_row_seven")
export class NotRowSeven extends ValidatorBlock<
  typeof ValidatorBlock.configSchema,
  { text: string }
> {
  static override fields = { required: ["text"] };
  override validate(row: { text: string }) {
    return / row 7 of /.test(row.text) ? reject("row seven") : true;
  }
}

/** See bare-client.mjs: send `count` chat requests to `baseURL`, `limit` at a time, over bare node:http. */
export declare function bareClient(baseURL: string, count: number, limit: number): Promise<void>;

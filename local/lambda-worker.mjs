// The entry of one function's worker thread (see lambda.ts). Plain JavaScript because a worker starts
// without the parent's TypeScript loader (vitest's or tsx's): it registers tsx's loader for this
// thread, then runs the execution environment, which imports the TypeScript handler.
import { register } from "tsx/esm/api";

register();
await import("./lambda-worker.ts");

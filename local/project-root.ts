/** The repository root, where the functions' sources and the default data directory (`.paybus/`) live. */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

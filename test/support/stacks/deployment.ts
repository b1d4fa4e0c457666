/** What `mock-deploy.ts` writes, shared with the tests that read it (no imports: both sides load it). */

/** One resource as the stacks registered it. */
export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  /** Set when the stacks read an existing resource (`.get`) instead of creating one. */
  readonly id?: string;
  readonly inputs: Record<string, unknown>;
}

/** What the harness writes: the resources, and the errors raised while resolving outputs. */
export interface MockDeployment {
  readonly resources: RegisteredResource[];
  readonly errors: string[];
}

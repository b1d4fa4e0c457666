/** What every view of the page provides to the shell in `main.ts`. */
export interface View {
  /** The hash route, `#/<id>`. */
  readonly id: string;
  readonly title: string;
  /** Builds the view's skeleton (once per visit). */
  mount(root: HTMLElement): void;
  /** Shows the latest store contents; called at most once per frame. */
  update(): void;
  /** The part of the route after `#/<id>/`, e.g. an event id. */
  route?(param: string | undefined): void;
  /** A number worth a glance on the view's tab (DLQ messages, waiting tasks). */
  badge?(): number;
}

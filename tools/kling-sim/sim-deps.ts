/** What the route handlers share; sim-server.ts builds it once per simulator. */
import type { SimAuthenticator } from './sim-auth.ts';
import type { LoopStallWatch } from './sim-loop-stalls.ts';
import type { FaultDice } from './sim-faults.ts';
import type { Lifecycle } from './sim-lifecycle.ts';
import type { ResultLinks } from './sim-result-links.ts';
import type { TaskBook } from './sim-task-book.ts';
import type { TaskView } from './sim-task-view.ts';
import type { SimStats } from './sim-types.ts';

export type SimDeps = {
  auth: SimAuthenticator;
  dice: FaultDice;
  book: TaskBook;
  lifecycle: Lifecycle;
  view: TaskView;
  links: ResultLinks;
  stats: SimStats;
  /** Arrival times by route label, when recorded (KlingSimOptions.recordArrivals). */
  arrivals: Map<string, number[]> | null;
  /** The simulator's own event-loop pauses, recorded with the arrivals. */
  stalls: LoopStallWatch | null;
  log: (line: string) => void;
};
